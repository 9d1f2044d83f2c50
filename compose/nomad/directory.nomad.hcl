# The directory recipe on Nomad: two members on different nodes, each with an ephemeral disk that
# is sticky and migrated, so a member that moves takes its warm copy along. Exactly one member runs
# the application (the lease holder); the other follows the backups and takes over when it goes.
job "notes" {
  datacenters = ["dc1"]
  type        = "service"

  update {
    max_parallel     = 1
    min_healthy_time = "30s"
    healthy_deadline = "10m"
  }

  group "app" {
    count = 2

    constraint {
      operator = "distinct_hosts"
      value    = "true"
    }

    ephemeral_disk {
      size    = 4096
      sticky  = true
      migrate = true
    }

    restart {
      attempts = 3
      interval = "5m"
      delay    = "10s"
      mode     = "delay"
    }

    reschedule {
      delay          = "30s"
      delay_function = "exponential"
      max_delay      = "5m"
      unlimited      = true
    }

    network {
      port "status" { to = 8008 }
    }

    task "app" {
      driver = "docker"

      config {
        image   = "pilotfish/directory:dev"
        ports   = ["status"]
        volumes = ["local/pilotfish.yaml:/etc/pilotfish/pilotfish.yaml"]
      }

      # Secrets come from Nomad Variables at nomad/jobs/notes; they never appear in the job file.
      template {
        destination = "secrets/pilotfish.env"
        env         = true
        data        = <<EOT
{{ with nomadVar "nomad/jobs/notes" }}
PILOTFISH_SECRET_STATUS_TOKEN={{ .status_token }}
AWS_ACCESS_KEY_ID={{ .s3_access_key_id }}
AWS_SECRET_ACCESS_KEY={{ .s3_secret_access_key }}
{{ end }}
EOT
      }

      template {
        destination = "local/pilotfish.yaml"
        data        = <<EOT
cluster: notes
member:
  name: app-{{ env "NOMAD_ALLOC_INDEX" }}
  host: {{ env "NOMAD_IP_status" }}
coordinator:
  consul:
    address: http://{{ env "attr.unique.network.ip-address" }}:8500
    ttl: 10s
    lockDelay: 1s
secrets:
  env:
    prefix: PILOTFISH_SECRET_
objectStore:
  s3:
    bucket: pilotfish-backups
    region: us-east-1
backup:
  interval: 1h
status:
  listen: 0.0.0.0:8008
recipe:
  directory:
    command: [node, /opt/app/append-writer.mjs]
    path: {{ env "NOMAD_ALLOC_DIR" }}/data/app
EOT
      }

      resources {
        cpu    = 500
        memory = 512
      }

      service {
        name     = "notes-status"
        port     = "status"
        provider = "consul"

        check {
          type     = "http"
          path     = "/health"
          interval = "5s"
          timeout  = "2s"
        }
      }

      # The stopping primary stops the application and takes a final backup before it lets go.
      kill_timeout = "90s"
    }
  }
}
