/** A TCP port that was free on 127.0.0.1 a moment ago; the same helper `pilotfish up` uses. */
export { freeLoopbackPort as freePort } from '../../supervisor/local/free-port.js';
