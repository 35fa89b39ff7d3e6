#!/usr/bin/env bash
# Installs Debian's RabbitMQ (rabbitmq-server, with its Erlang) for the RabbitMQ store's
# tests and benches, unless it is already there. The tests start their own private broker
# on 127.0.0.1 (startBroker in packages/test-support/src/rabbitmq-broker.ts); the package's system service is
# neither needed nor started here.
set -euo pipefail
if [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
else
  SUDO=
fi
$SUDO apt-get update -qq
# Keep the package from starting its system service (which would listen beyond
# 127.0.0.1): a policy-rc.d that denies starts, for the time of the install, unless the
# machine has its own.
POLICY=/usr/sbin/policy-rc.d
if [ ! -e "$POLICY" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$POLICY" >/dev/null
  $SUDO chmod +x "$POLICY"
  trap '$SUDO rm -f "$POLICY"' EXIT
fi
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq rabbitmq-server >/dev/null
dpkg-query -W -f='rabbitmq-server ${Version}\n' rabbitmq-server
