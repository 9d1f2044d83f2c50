# The MySQL recipe on Nomad: three members, at most one per rack, each with an ephemeral disk that
# is sticky (prefer the same node on update/reschedule) and migrated (pulled from the old node when
# the allocation moves). A member whose data could not follow restores from the latest backup.
# Consul provides coordination and DNS: primary.shop.service.consul always names the writable member.
job "mysql-shop" {
  datacenters = ["dc1"]
  type        = "service"

  update {
    max_parallel     = 1
    min_healthy_time = "30s"
    healthy_deadline = "10m"
  }

  group "db" {
    count = 3

    constraint {
      distinct_property = "${meta.rack}"
      value             = "1"
    }

    ephemeral_disk {
      size    = 20480
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
      port "mysql" { to = 3306 }
      port "status" { to = 8008 }
    }

    task "mysql" {
      driver = "docker"

      config {
        image = "pilotfish/mysql:dev"
        ports = ["mysql", "status"]
        volumes = ["local/pilotfish.yaml:/etc/pilotfish/pilotfish.yaml"]
      }

      # Secrets come from Nomad Variables at nomad/jobs/mysql-shop; they never appear in the job file.
      template {
        destination = "secrets/pilotfish.env"
        env         = true
        data        = <<EOT
{{ with nomadVar "nomad/jobs/mysql-shop" }}
PILOTFISH_SECRET_ROOT_PASSWORD={{ .root_password }}
PILOTFISH_SECRET_APP_PASSWORD={{ .app_password }}
PILOTFISH_SECRET_REPLICATION_PASSWORD={{ .replication_password }}
PILOTFISH_SECRET_BACKUP_PASSWORD={{ .backup_password }}
PILOTFISH_SECRET_MONITOR_PASSWORD={{ .monitor_password }}
PILOTFISH_SECRET_STATUS_TOKEN={{ .status_token }}
AWS_ACCESS_KEY_ID={{ .s3_access_key_id }}
AWS_SECRET_ACCESS_KEY={{ .s3_secret_access_key }}
{{ end }}
EOT
      }

      template {
        destination = "local/pilotfish.yaml"
        data        = <<EOT
cluster: shop
member:
  name: db-{{ env "NOMAD_ALLOC_INDEX" }}
  host: {{ env "NOMAD_IP_mysql" }}
coordinator:
  consul:
    address: http://{{ env "attr.unique.network.ip-address" }}:8500
    ttl: 10s
    lockDelay: 1s
objectStore:
  s3:
    bucket: pilotfish-backups
    region: us-east-1
backup:
  interval: 1h
status:
  listen: 0.0.0.0:8008
recipe:
  mysql:
    port: 3306
    dataDir: {{ env "NOMAD_ALLOC_DIR" }}/data/mysql
    replicationMode: semisync
EOT
      }

      env {
        PILOTFISH_MEMBER__NAME = "db-${NOMAD_ALLOC_INDEX}"
      }

      resources {
        cpu    = 1000
        memory = 1024
      }

      service {
        name     = "shop-status"
        port     = "status"
        provider = "consul"

        check {
          type     = "http"
          path     = "/health"
          interval = "5s"
          timeout  = "2s"
        }
      }

      kill_timeout = "60s"
    }
  }
}
