/** `127.0.0.1:4646` → `['127.0.0.1', 4646]`. */
export function splitAddress(address: string): [string, number] {
  const at = address.lastIndexOf(':');
  return [address.slice(0, at), Number(address.slice(at + 1))];
}
