#!/bin/sh
# A single KRaft node whose client listener asks for SASL/SCRAM-SHA-256 credentials and whose
# requests are authorized by ACLs (KRaft's StandardAuthorizer). The SCRAM users are created when
# the storage is formatted, on the first start. The controller listener is bound to the
# container's loopback: only the broker itself reaches it, as ANONYMOUS.
set -eu
CONF=/tmp/server.properties
DATA=/var/lib/kafka/data
cat > "$CONF" <<PROPERTIES
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@localhost:9093
listeners=SASL://:9092,CONTROLLER://localhost:9093
advertised.listeners=SASL://kafka:9092
listener.security.protocol.map=SASL:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=SASL
controller.listener.names=CONTROLLER
sasl.enabled.mechanisms=SCRAM-SHA-256
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-256
listener.name.sasl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="${ADMIN_PASSWORD}";
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:admin;User:ANONYMOUS
allow.everyone.if.no.acl.found=false
log.dirs=${DATA}
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
PROPERTIES
if [ ! -f "$DATA/meta.properties" ]; then
  /opt/kafka/bin/kafka-storage.sh format --config "$CONF" \
    --cluster-id "$(/opt/kafka/bin/kafka-storage.sh random-uuid)" \
    --add-scram "SCRAM-SHA-256=[name=admin,password=${ADMIN_PASSWORD}]" \
    --add-scram "SCRAM-SHA-256=[name=trainer,password=${TRAINER_PASSWORD}]" \
    --add-scram "SCRAM-SHA-256=[name=meta-optimizer,password=${META_OPTIMIZER_PASSWORD}]" \
    --add-scram "SCRAM-SHA-256=[name=monitor,password=${MONITOR_PASSWORD}]"
fi
exec /opt/kafka/bin/kafka-server-start.sh "$CONF"
