#!/bin/sh
# Entry point of the image. Under Compose the scheduler writes cron.log into the host's ./logs,
# whose owner cannot be known in advance. Started as root, this makes the folder of CRON_LOG
# writable by the unprivileged `node` user, then runs the command as that user; the application
# itself never runs as root. Started as any other user, it runs the command as is.
set -eu
if [ "$(id -u)" = "0" ]; then
  if [ -n "${CRON_LOG:-}" ]; then
    log_dir=$(dirname "$CRON_LOG")
    mkdir -p "$log_dir"
    chown node:node "$log_dir"
    for file in "$CRON_LOG" "$CRON_LOG".*; do
      if [ -e "$file" ]; then chown node:node "$file"; fi
    done
  fi
  exec setpriv --reuid=node --regid=node --init-groups -- "$@"
fi
exec "$@"
