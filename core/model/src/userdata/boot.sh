#!/bin/bash
# Boot script of a WordPress HA stack instance (Amazon Linux 2023), rendered by
# terraform-provider-wordpress: installs Docker and the EFS client, mounts the stack's EFS
# file system, and runs WordPress in Docker with wp-content on EFS and the database on RDS.
# The database password and the keys are fetched from Secrets Manager with the instance role:
# this script names the secret, it never holds its values.
# Safe to run again: the fstab line is never duplicated and the container is replaced, not doubled.
# When the stack has a CloudWatch Logs group (LOG_GROUP), the container logs there through
# Docker's awslogs driver and the boot's own output is shipped there too (see "Central logs").
#
# Usage: wordpress-ha-boot [boot|watch-secret|install-site]
#   boot (the default, run once by cloud-init): everything above, then a systemd timer that runs
#   `watch-secret` every 30 s.
#   watch-secret: when the secret's current version is not the one the container runs with (the
#   database's host and password once RDS is up, or a new password), rewrite the container's
#   env file from it and restart the container.
#   install-site: install WordPress with WP-CLI unless the database has it already (see the
#   site install below); started in the background once the container knows its database.

# Comment-only lines like this one are dropped when the script is rendered into user data.
# Rendered values are single-quoted literals on purpose: nothing in them may ever expand.
# shellcheck disable=SC2016
set -euo pipefail
umask 022

# Tests run this script against a scratch directory; on an instance it is unset, so every path
# below is the real one.
ROOT="${WORDPRESS_HA_TEST_ROOT:-}"

# @@RENDERED_VALUES@@

readonly CONTAINER_NAME=wordpress
readonly EFS_MOUNT_POINT="$ROOT/mnt/efs"
readonly WP_CONTENT_DIR="$EFS_MOUNT_POINT/wp-content"
readonly CONFIG_DIR="$ROOT/etc/wordpress-ha"
readonly ENV_FILE="$CONFIG_DIR/wordpress.env"
# The secret version the running container was started with: what the watcher compares.
readonly SECRET_VERSION_FILE="$CONFIG_DIR/secret-version"
readonly HEALTH_CHECK_FILE="$CONFIG_DIR/health-check"
readonly FSTAB="$ROOT/etc/fstab"
readonly SYSTEMD_DIR="$ROOT/etc/systemd/system"
readonly DOCKER_DROP_IN_DIR="$SYSTEMD_DIR/docker.service.d"
readonly WATCH_UNIT=wordpress-ha-secret-watch
# Encryption in transit through the EFS mount helper; _netdev waits for the network at boot.
readonly FSTAB_LINE="$EFS_ID:/ $EFS_MOUNT_POINT efs _netdev,noresvport,tls 0 0"
# The www-data user of the official wordpress image.
readonly WWW_DATA_UID=33
# A new mount target can take minutes to answer: 60 tries, 10 s apart.
readonly MOUNT_ATTEMPTS=60
readonly MOUNT_RETRY_SECONDS=10
# The instance role's credentials and the NAT route can lag the boot a little: 30 tries, 10 s apart.
readonly SECRET_ATTEMPTS=30
readonly SECRET_RETRY_SECONDS=10
# A registry that throttles (every instance pulls through the same NAT address) is given more
# and more room: 5 s, 10 s, 20 s … at most 2 min between 8 tries, about 6.5 min in all.
readonly PULL_ATTEMPTS=8
readonly PULL_FIRST_DELAY_SECONDS=5
readonly PULL_MAX_DELAY_SECONDS=120
# The site install: the whole fleet shares this lock on EFS, so one instance installs at a time
# and the others then find WordPress installed. The marker says this instance saw it installed.
readonly INSTALL_LOCK_FILE="$EFS_MOUNT_POINT/.wordpress-ha-install.lock"
readonly INSTALLED_FILE="$CONFIG_DIR/site-installed"
readonly INSTALL_UNIT=wordpress-ha-install
# A database that was just made available may refuse connections for a while: 30 tries, 10 s
# apart, then systemd starts the unit again a minute later.
readonly INSTALL_ATTEMPTS=30
readonly INSTALL_RETRY_SECONDS=10
readonly INSTALL_LOCK_WAIT_SECONDS=3600

# Reads the secret's JSON on stdin and prints env-file lines: the database host (field argv[1])
# and password (field argv[2]) when the secret has them yet (not while RDS is being created),
# then WORDPRESS_<name> for each name in argv[3]. A missing key fails, so an instance never
# runs with keys of its own. Line breaks and NULs are dropped: an env-file value is one line.
readonly SECRET_TO_ENV='
import json
import sys

secret = json.loads(sys.stdin.buffer.read().decode("utf-8"))
host_field, password_field, key_names = sys.argv[1], sys.argv[2], sys.argv[3].split()
lines = [(name, secret[field]) for name, field in
         (("WORDPRESS_DB_HOST", host_field), ("WORDPRESS_DB_PASSWORD", password_field))
         if field in secret]
lines += [("WORDPRESS_" + name, secret[name]) for name in key_names]
for name, value in lines:
    kept = "".join(c for c in str(value) if c not in "\r\n\0")
    sys.stdout.buffer.write((name + "=" + kept + "\n").encode("utf-8"))
'

# Reads the secret's JSON on stdin and prints its field argv[1]; fails when the field is missing.
readonly SECRET_FIELD='
import json
import sys

value = json.loads(sys.stdin.buffer.read().decode("utf-8")).get(sys.argv[1])
if not value:
    sys.exit("the secret has no " + sys.argv[1])
sys.stdout.write(value)
'

# Reads DescribeSecret's VersionIdsToStages on stdin and prints the version labelled AWSCURRENT.
readonly CURRENT_VERSION_OF='import json, sys
print(next((v for v, s in (json.load(sys.stdin) or {}).items() if "AWSCURRENT" in s), ""))'

# The provider's health file: Apache and PHP answer it, the database is never asked, so a
# database failover does not make the load balancer (and the group) give up on the instances.
readonly HEALTH_CHECK_PHP='<?php
header("Content-Type: text/plain");
header("Cache-Control: no-store");
echo "ok\n";
'

# The EFS helper's botocore fallback and any AWS tool use the stack's region.
export AWS_REGION="$STACK_REGION" AWS_DEFAULT_REGION="$STACK_REGION"

log() {
  printf '[wordpress-ha %s] %s\n' "$STACK_NAME" "$*" >&2
}

# retry_backoff ATTEMPTS DELAY MAX_DELAY COMMAND...: run COMMAND until it succeeds, at most
# ATTEMPTS times, pausing DELAY seconds after the first failure and twice as long after each
# next one, up to MAX_DELAY.
retry_backoff() {
  local attempts="$1" delay="$2" max_delay="$3" attempt
  shift 3
  for ((attempt = 1; attempt <= attempts; attempt++)); do
    if "$@"; then
      return 0
    fi
    log "attempt $attempt/$attempts of '$*' failed"
    if ((attempt < attempts)); then
      sleep "$delay"
      delay=$((delay * 2 > max_delay ? max_delay : delay * 2))
    fi
  done
  log "giving up on '$*'"
  return 1
}

# retry ATTEMPTS DELAY COMMAND...: run COMMAND until it succeeds, at most ATTEMPTS times.
retry() {
  local attempts="$1" delay="$2"
  shift 2
  retry_backoff "$attempts" "$delay" "$delay" "$@"
}

install_packages() {
  log "installing docker and amazon-efs-utils"
  retry 5 15 dnf install -y docker amazon-efs-utils
}

# Docker starts only once EFS is mounted, also on a reboot: a container started before the
# mount would serve an empty local wp-content.
start_docker_after_efs() {
  install -d -m 0755 "$DOCKER_DROP_IN_DIR"
  printf '[Unit]\nRequiresMountsFor=%s\n' "$EFS_MOUNT_POINT" >"$DOCKER_DROP_IN_DIR/wordpress-ha-efs.conf"
  systemctl daemon-reload
  systemctl enable --now docker
}

ensure_fstab_entry() {
  if grep -qxF -- "$FSTAB_LINE" "$FSTAB" 2>/dev/null; then
    return 0
  fi
  printf '%s\n' "$FSTAB_LINE" >>"$FSTAB"
}

mount_efs_once() {
  mountpoint -q "$EFS_MOUNT_POINT" || mount "$EFS_MOUNT_POINT"
}

mount_efs() {
  log "mounting $EFS_ID at $EFS_MOUNT_POINT"
  mkdir -p "$EFS_MOUNT_POINT"
  ensure_fstab_entry
  retry "$MOUNT_ATTEMPTS" "$MOUNT_RETRY_SECONDS" mount_efs_once
}

prepare_wp_content() {
  mkdir -p "$WP_CONTENT_DIR"
  chown "$WWW_DATA_UID:$WWW_DATA_UID" "$WP_CONTENT_DIR"
}

# One attempt: read version $2 of the secret and write the rendered variables, then the
# secret's, to $1. The secret travels through a pipe, never a file or an argument.
fetch_container_env() {
  local target="$1" version="$2" secret
  secret="$(aws secretsmanager get-secret-value --secret-id "$SECRET_ID" \
    --version-id "$version" --region "$STACK_REGION" \
    --query SecretString --output text)" || return 1
  {
    printf '%s\n' "$CONTAINER_ENV"
    printf '%s' "$secret" | python3 -c "$SECRET_TO_ENV" "$SECRET_HOST_FIELD" "$SECRET_PASSWORD_FIELD" \
      "$SECRET_KEY_NAMES"
  } >"$target"
}

# write_container_env VERSION ATTEMPTS: the env file from that version of the secret. Secrets go
# to a root-only file, replaced atomically so a half-written file is never used.
write_container_env() {
  local version="$1" attempts="$2" staged
  install -d -m 0755 "$CONFIG_DIR"
  staged="$(mktemp "$ENV_FILE.XXXXXX")"
  chmod 0600 "$staged"
  if ! retry "$attempts" "$SECRET_RETRY_SECONDS" fetch_container_env "$staged" "$version"; then
    rm -f "$staged"
    return 1
  fi
  mv -f "$staged" "$ENV_FILE"
}

# The file the load balancer's health check asks for, when the path names one the script
# provides: the provider's PHP probe (the only .php path rendered), else a static page that
# answers 200 before WordPress is installed, while / still redirects to the installer.
write_health_check_file() {
  case "$HEALTH_CHECK_PATH" in
    '') return 0 ;;
    *.php) printf '%s' "$HEALTH_CHECK_PHP" >"$HEALTH_CHECK_FILE" ;;
    *) printf 'OK\n' >"$HEALTH_CHECK_FILE" ;;
  esac
  chmod 0644 "$HEALTH_CHECK_FILE"
}

pull_image() {
  retry_backoff "$PULL_ATTEMPTS" "$PULL_FIRST_DELAY_SECONDS" "$PULL_MAX_DELAY_SECONDS" \
    docker pull "$IMAGE"
}

# (Re)create the container: an env file is only read when a container is created.
start_container() {
  container_log_options
  local args=(
    -d --name "$CONTAINER_NAME" --restart always -p 80:80
    --env-file "$ENV_FILE"
    -v "$WP_CONTENT_DIR:/var/www/html/wp-content"
    "${CONTAINER_LOG_OPTIONS[@]}"
    --label "wordpress-ha.stack=$STACK_NAME"
  )
  if [[ -n "$HEALTH_CHECK_PATH" ]]; then
    args+=(-v "$HEALTH_CHECK_FILE:/var/www/html$HEALTH_CHECK_PATH:ro")
  fi
  if docker container inspect "$CONTAINER_NAME" >/dev/null 2>&1; then
    log "replacing the existing $CONTAINER_NAME container"
    docker rm --force "$CONTAINER_NAME" >/dev/null
  fi
  docker run "${args[@]}" "$IMAGE"
}

# A timer runs `watch-secret` every 30 s, on a spread so the instances do not restart together.
install_secret_watch() {
  install -d -m 0755 "$SYSTEMD_DIR"
  cat >"$SYSTEMD_DIR/$WATCH_UNIT.service" <<EOF
[Unit]
Description=Restart WordPress on a new secret version
After=docker.service

[Service]
Type=oneshot
ExecStart=$SCRIPT_PATH watch-secret
EOF
  cat >"$SYSTEMD_DIR/$WATCH_UNIT.timer" <<EOF
[Unit]
Description=Check the secret's version every 30 s

[Timer]
OnActiveSec=30s
OnUnitActiveSec=30s
RandomizedDelaySec=10s
AccuracySec=1s

[Install]
WantedBy=timers.target
EOF
  systemctl daemon-reload
  systemctl enable --now "$WATCH_UNIT.timer"
}

# The id of the secret's current version, from its metadata: no value is read.
current_secret_version() {
  aws secretsmanager describe-secret --secret-id "$SECRET_ID" --region "$STACK_REGION" \
    --query VersionIdsToStages --output json | python3 -c "$CURRENT_VERSION_OF"
}

# One look at the secret; on a new version, the container is started again with it. The
# version is recorded last, so a failed restart is tried again at the next look.
watch_secret() {
  local current applied
  current="$(current_secret_version)" || return 1
  applied="$(cat "$SECRET_VERSION_FILE" 2>/dev/null || true)"
  if [[ -z "$current" || "$current" == "$applied" ]]; then
    return 0
  fi
  log "the secret moved from version $applied to $current: restarting $CONTAINER_NAME"
  write_container_env "$current" 1
  start_container
  printf '%s\n' "$current" >"$SECRET_VERSION_FILE"
  start_site_install
}

# ---- the site's one-time install ----

# The install runs as its own unit, beside WordPress: the boot and the health check never wait
# for it, and systemd starts it again when it gives up (StartLimitIntervalSec=0: no limit).
install_site_unit() {
  install -d -m 0755 "$SYSTEMD_DIR"
  cat >"$SYSTEMD_DIR/$INSTALL_UNIT.service" <<EOF
[Unit]
Description=Install WordPress unless its database has it
After=docker.service
StartLimitIntervalSec=0

[Service]
Type=oneshot
ExecStart=$SCRIPT_PATH install-site
Restart=on-failure
RestartSec=60s
EOF
  systemctl daemon-reload
}

# Only once the container knows its database (the secret has its host): until then there is
# nothing to install into, and the watcher calls this again after the restart that brings it.
start_site_install() {
  if [[ -e "$INSTALLED_FILE" ]] || ! grep -q '^WORDPRESS_DB_HOST=' "$ENV_FILE"; then
    return 0
  fi
  systemctl start --no-block "$INSTALL_UNIT.service"
}

# WP-CLI (the official image) on the running container's files: its wp-config.php, wp-content
# on EFS and its env file, so the same database and keys; as the apache image's www-data.
wp_cli() {
  docker run --rm -i --user "$WWW_DATA_UID:$WWW_DATA_UID" --env-file "$ENV_FILE" \
    --volumes-from "$CONTAINER_NAME" "$CLI_IMAGE" wp "$@"
}

# The administrator's password, from the secret version the container runs with, to stdout.
admin_password() {
  aws secretsmanager get-secret-value --secret-id "$SECRET_ID" \
    --version-id "$(cat "$SECRET_VERSION_FILE")" --region "$STACK_REGION" \
    --query SecretString --output text | python3 -c "$SECRET_FIELD" "$SECRET_ADMIN_PASSWORD_FIELD"
}

# One attempt: nothing when the database has WordPress, else the install. The password goes
# through a pipe to WP-CLI's prompt, never into an argument, a file or the log. A database that
# does not answer fails both commands, and the attempt is made again.
install_site_once() {
  local password
  if wp_cli core is-installed </dev/null; then
    return 0
  fi
  password="$(admin_password)" || return 1
  log "installing WordPress at $SITE_URL for $ADMIN_USER"
  printf '%s\n' "$password" | wp_cli core install --url="$SITE_URL" --title="$SITE_TITLE" \
    --admin_user="$ADMIN_USER" --admin_email="$ADMIN_EMAIL" --skip-email --prompt=admin_password
}

install_site() {
  if [[ -e "$INSTALLED_FILE" ]]; then
    return 0
  fi
  if ! grep -q '^WORDPRESS_DB_HOST=' "$ENV_FILE" 2>/dev/null; then
    log "no database in the secret yet: WordPress is installed once it is there"
    return 0
  fi
  exec 9>>"$INSTALL_LOCK_FILE"
  flock -w "$INSTALL_LOCK_WAIT_SECONDS" 9
  retry "$INSTALL_ATTEMPTS" "$INSTALL_RETRY_SECONDS" install_site_once
  exec 9>&-
  touch "$INSTALLED_FILE"
  log "WordPress is installed"
}

# ---- Central logs (CloudWatch Logs) ----
# With LOG_GROUP set the container logs through Docker's awslogs driver to the stream
# wordpress/<instance id> (the group is the stack's: the driver never creates one), and the
# boot's output, kept in BOOT_LOG while it runs and in the journal as always, is shipped to
# boot/<instance id> as one event when the boot ends, failed or not (5 tries, 10 s apart:
# CloudWatch Logs may not be reachable when a boot fails early). Without it the container
# logs to the journal. The instance role may write to that group's streams and nothing else.
readonly BOOT_LOG="$CONFIG_DIR/boot.log"
# Reads the boot log on stdin, prints PutLogEvents' events: its last 250 kB (an event's
# limit is 256 KB), stamped now.
readonly LOG_EVENT_OF='import json,sys,time;print(json.dumps([{"timestamp":int(time.time()*1000),"message":sys.stdin.read()[-250000:]or"-"}]))'

# cloud-init's record of the instance id: read from disk, so no network is needed.
instance_id() {
  cat "$ROOT/var/lib/cloud/data/instance-id" 2>/dev/null || hostname
}

# Non-blocking: a slow CloudWatch Logs never stalls WordPress.
container_log_options() {
  CONTAINER_LOG_OPTIONS=(--log-driver journald --log-opt "tag=$CONTAINER_NAME")
  if [[ -n "$LOG_GROUP" ]]; then
    CONTAINER_LOG_OPTIONS=(--log-driver awslogs --log-opt "awslogs-group=$LOG_GROUP"
      --log-opt "awslogs-region=$STACK_REGION" --log-opt "awslogs-stream=$CONTAINER_NAME/$(instance_id)"
      --log-opt awslogs-create-group=false --log-opt mode=non-blocking)
  fi
}

# One attempt: the stream (already there on a second run), then the event in file $2.
ship_once() {
  local at=(--log-group-name "$LOG_GROUP" --log-stream-name "$1" --region "$STACK_REGION")
  aws logs create-log-stream "${at[@]}" >/dev/null 2>&1 || true
  aws logs put-log-events "${at[@]}" --log-events "file://$2" >/dev/null
}

# boot_steps with their output also in BOOT_LOG, shipped once they end; their status is boot's.
boot_logged() {
  if [[ -z "$LOG_GROUP" ]]; then
    boot_steps
    return
  fi
  install -d -m 0755 "$CONFIG_DIR"
  set +e
  (
    set -e
    boot_steps
  ) 2>&1 | tee -a "$BOOT_LOG"
  local status=$? event
  set -e
  event="$(mktemp "$CONFIG_DIR/event.XXXXXX")"
  python3 -c "$LOG_EVENT_OF" <"$BOOT_LOG" >"$event" || true
  retry 5 10 ship_once "boot/$(instance_id)" "$event" || log "boot log not shipped to $LOG_GROUP"
  rm -f "$event"
  return "$status"
}
# ---- end of central logs ----

boot_steps() {
  install_packages
  mount_efs
  prepare_wp_content
  start_docker_after_efs
  write_container_env "$SECRET_VERSION" "$SECRET_ATTEMPTS"
  write_health_check_file
  pull_image
  start_container
  printf '%s\n' "$SECRET_VERSION" >"$SECRET_VERSION_FILE"
  install_site_unit
  start_site_install
  install_secret_watch
  log "WordPress is running"
}

main() {
  case "${1:-boot}" in
    boot) boot_logged ;;
    watch-secret) watch_secret ;;
    install-site) install_site ;;
    *)
      log "unknown command '$1': expected boot, watch-secret or install-site"
      return 2
      ;;
  esac
}

main "$@"
