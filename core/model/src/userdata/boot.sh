#!/bin/bash
# Boot script of a WordPress HA stack instance (Amazon Linux 2023), rendered by
# terraform-provider-wordpress: installs Docker and the EFS client, mounts the stack's EFS
# file system, and runs WordPress in Docker with wp-content on EFS and the database on RDS.
# The database password and the keys are fetched from Secrets Manager with the instance role:
# this script names the secret, it never holds its values.
# Safe to run again: the fstab line is never duplicated and the container is replaced, not doubled.

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
readonly HEALTH_CHECK_FILE="$CONFIG_DIR/health-check.html"
readonly FSTAB="$ROOT/etc/fstab"
readonly DOCKER_DROP_IN_DIR="$ROOT/etc/systemd/system/docker.service.d"
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

# Reads the secret's JSON on stdin and prints env-file lines: the password (field argv[1]),
# then WORDPRESS_<name> for each name in argv[2]. A missing field fails, so an instance never
# runs with keys of its own. Line breaks and NULs are dropped: an env-file value is one line.
readonly SECRET_TO_ENV='
import json
import sys

secret = json.loads(sys.stdin.buffer.read().decode("utf-8"))
password_field, key_names = sys.argv[1], sys.argv[2].split()
lines = [("WORDPRESS_DB_PASSWORD", secret[password_field])]
lines += [("WORDPRESS_" + name, secret[name]) for name in key_names]
for name, value in lines:
    kept = "".join(c for c in str(value) if c not in "\r\n\0")
    sys.stdout.buffer.write((name + "=" + kept + "\n").encode("utf-8"))
'

# The EFS helper's botocore fallback and any AWS tool use the stack's region.
export AWS_REGION="$STACK_REGION" AWS_DEFAULT_REGION="$STACK_REGION"

log() {
  printf '[wordpress-ha %s] %s\n' "$STACK_NAME" "$*" >&2
}

# retry ATTEMPTS DELAY COMMAND...: run COMMAND until it succeeds, at most ATTEMPTS times.
retry() {
  local attempts="$1" delay="$2" attempt
  shift 2
  for ((attempt = 1; attempt <= attempts; attempt++)); do
    if "$@"; then
      return 0
    fi
    log "attempt $attempt/$attempts of '$*' failed"
    if ((attempt < attempts)); then
      sleep "$delay"
    fi
  done
  log "giving up on '$*'"
  return 1
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

# One attempt: read this instance's version of the secret and write the rendered variables,
# then the secret's, to $1. The secret travels through a pipe, never a file or an argument.
fetch_container_env() {
  local target="$1" secret
  secret="$(aws secretsmanager get-secret-value --secret-id "$SECRET_ID" \
    --version-id "$SECRET_VERSION" --region "$STACK_REGION" \
    --query SecretString --output text)" || return 1
  {
    printf '%s\n' "$CONTAINER_ENV"
    printf '%s' "$secret" | python3 -c "$SECRET_TO_ENV" "$SECRET_PASSWORD_FIELD" "$SECRET_KEY_NAMES"
  } >"$target"
}

# Secrets go to a root-only file, replaced atomically so a half-written file is never used.
write_container_env() {
  install -d -m 0755 "$CONFIG_DIR"
  local staged
  staged="$(mktemp "$ENV_FILE.XXXXXX")"
  chmod 0600 "$staged"
  if ! retry "$SECRET_ATTEMPTS" "$SECRET_RETRY_SECONDS" fetch_container_env "$staged"; then
    rm -f "$staged"
    return 1
  fi
  mv -f "$staged" "$ENV_FILE"
}

# A static page for the load balancer's health check: it answers 200 before WordPress is
# installed, while / still redirects to the installer.
write_health_check_file() {
  if [[ -z "$HEALTH_CHECK_PATH" ]]; then
    return 0
  fi
  printf 'OK\n' >"$HEALTH_CHECK_FILE"
  chmod 0644 "$HEALTH_CHECK_FILE"
}

run_wordpress() {
  local args=(
    -d --name "$CONTAINER_NAME" --restart always -p 80:80
    --env-file "$ENV_FILE"
    -v "$WP_CONTENT_DIR:/var/www/html/wp-content"
    --log-driver journald --log-opt "tag=$CONTAINER_NAME"
    --label "wordpress-ha.stack=$STACK_NAME"
  )
  if [[ -n "$HEALTH_CHECK_PATH" ]]; then
    args+=(-v "$HEALTH_CHECK_FILE:/var/www/html$HEALTH_CHECK_PATH:ro")
  fi
  retry 10 15 docker pull "$IMAGE"
  if docker container inspect "$CONTAINER_NAME" >/dev/null 2>&1; then
    log "replacing the existing $CONTAINER_NAME container"
    docker rm --force "$CONTAINER_NAME" >/dev/null
  fi
  docker run "${args[@]}" "$IMAGE"
}

main() {
  install_packages
  mount_efs
  prepare_wp_content
  start_docker_after_efs
  write_container_env
  write_health_check_file
  run_wordpress
  log "WordPress is running"
}

main "$@"
