#!/bin/bash
# Docker HEALTHCHECK of the distilflux image: healthy when GET /health on HEALTH_PORT answers
# 200 (the services answer 503 when a subscription failed). Bash's /dev/tcp: no curl needed.
set -euo pipefail
port="${HEALTH_PORT:-9464}"
exec 3<>"/dev/tcp/127.0.0.1/${port}"
printf 'GET /health HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
read -r -t 4 status <&3
exec 3>&-
case "${status}" in
  "HTTP/1."?" 200"*) exit 0 ;;
  *) echo "health: ${status:-no answer}"; exit 1 ;;
esac
