# The MySQL recipe on pilotfish's own scheduler: three members, at most one per rack, each with an
# ephemeral disk that is sticky (prefer the same node on updates and reschedules) and migrated (the
# new node pulls the data from the old one). A member whose data could not follow gets
# PILOTFISH_DATA_LOST=1 and an empty data directory; its supervisor restores the latest backup
# (it never initialises a new data set into a cluster whose `initialized` key exists).
#
# The scheduler has no port allocation: each member's ports are the base ports below plus its
# allocation index (db-1 = index 0), so three members never collide, even on one machine. The
# mysql data directory is `$PILOTFISH_DATA_DIR/mysql`, inside the allocation's ephemeral disk.
#
# meta (`pilotfish up mysql --scheduler` sets these for its local cluster):
#   pilotfish         the command that runs the CLI
#   config            pilotfish.yaml with cluster, coordinator, secrets and objectStore
#   mysql_port_base   port of db-1's MariaDB; db-2 uses +1, db-3 +2
#   status_port_base  port of db-1's status API; db-2 uses +1, db-3 +2
#   host              address members advertise to each other and to clients
job "mysql" {
  datacenters = ["dc1"]
  type        = "service"

  meta {
    pilotfish        = "pilotfish"
    config           = "/etc/pilotfish/pilotfish.yaml"
    mysql_port_base  = "3306"
    status_port_base = "8008"
    host             = "127.0.0.1"
  }

  update {
    max_parallel = 1
  }

  group "db" {
    count = 3

    constraint {
      distinct_property = "${meta.rack}"
      value             = "1"
    }

    ephemeral_disk {
      size    = 2048
      sticky  = true
      migrate = true
    }

    restart {
      attempts = 3
      interval = "5m"
      delay    = "5s"
      mode     = "fail"
    }

    reschedule {
      delay          = "10s"
      delay_function = "exponential"
      max_delay      = "2m"
      unlimited      = true
    }

    task "mysql" {
      driver = "exec"

      # The shell derives the member's name, server id, ports and data directory from the
      # allocation, then replaces itself with the supervisor (exec), which receives the agent's
      # SIGTERM directly: a primary hands over to a replica before it stops.
      config {
        command = "/bin/sh"
        args = ["-c", <<EOT
set -eu
i="$PILOTFISH_ALLOC_INDEX"
export PILOTFISH_MEMBER__NAME="db-$((i + 1))"
export PILOTFISH_MEMBER__HOST="$PILOTFISH_META_HOST"
export PILOTFISH_RECIPE__MYSQL__PORT="$((PILOTFISH_META_MYSQL_PORT_BASE + i))"
export PILOTFISH_RECIPE__MYSQL__SERVER_ID="$((i + 1))"
export PILOTFISH_RECIPE__MYSQL__DATA_DIR="$PILOTFISH_DATA_DIR/mysql"
export PILOTFISH_STATUS__LISTEN="$PILOTFISH_META_HOST:$((PILOTFISH_META_STATUS_PORT_BASE + i))"
exec $PILOTFISH_META_PILOTFISH supervise -c "$PILOTFISH_META_CONFIG"
EOT
        ]
      }

      # A primary's supervisor hands over (switchover) and stops MariaDB cleanly on SIGTERM.
      kill_timeout = "90s"

      resources {
        cpu    = 500
        memory = 512
      }
    }
  }
}
