package io.distilflux.pipeline.kafka;

import io.distilflux.pipeline.Channel;
import io.distilflux.pipeline.ConsumerOptions;
import io.distilflux.pipeline.Delivery;
import io.distilflux.pipeline.EventBus;
import io.distilflux.pipeline.EventCodec;
import io.distilflux.pipeline.Received;
import io.distilflux.pipeline.Topics;
import io.distilflux.pipeline.event.Event;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;
import reactor.core.publisher.Mono;

/**
 * An {@link EventBus} over Apache Kafka with the plain Java clients.
 *
 * <p>Producing: idempotent producers ({@code acks=all}) shared by all publishes, one for
 * {@link Channel.Urgency#AWAITED awaited} channels, which sends each record at once, and one
 * lingering {@link KafkaBusSettings#backgroundLinger()} for {@link Channel.Urgency#BACKGROUND
 * background} channels and dead letters, which nobody waits on (a trainer's step records then go
 * out many per request, not one request each); with equal lingers and batch sizes they are one
 * producer. Each {@link Channel.Urgency#ROUND round} channel has a producer of its own, made at its first send,
 * which holds the channel's records until {@link #endRound} flushes them, at most {@link
 * KafkaBusSettings#roundLinger()}: one sender's end of round (the meta-optimizer's) never
 * splits another's (the trainer's) when services share a bus. The
 * record key is the run id and the value the {@link EventCodec} JSON. A publish keeps at most
 * {@link KafkaBusSettings#maxInFlight()} sends in flight and emits deliveries in order.
 *
 * <p>Consuming: every subscription owns a {@link KafkaConsumer} driven by its own poll thread.
 * A subscription with a run filter reads only the partitions its runs' keys map to, assigned
 * directly rather than through the group's rebalance (a run's events are all there, and a
 * fresh group's join would delay the first record by up to seconds); its offsets are still
 * committed under its group. A reader that does not commit ({@link ConsumerOptions#commits()}
 * false) has no group at all: it assigns its runs' partitions or every partition of the topic
 * itself, from the earliest or latest offset, so it sends no join, heartbeat or commit. A
 * batched reader ({@link ConsumerOptions#batchWait()}) lets the broker hold its fetch until
 * 1 MiB or the batch wait has gathered. Records wait in a buffer bounded by
 * {@link ConsumerOptions#bufferSize()}; when it is full the assigned partitions are paused until
 * the subscriber asks for more. Offsets are committed from the poll thread, at most every
 * {@link KafkaBusSettings#commitInterval()} and when the subscription ends, per partition only
 * up to the first record not yet acknowledged. Records of other runs (with a run filter) and
 * malformed records count as processed at once. A malformed record, one whose key is not its
 * run id, and one a consumer {@link Received#reject rejects} is written to the dead-letter topic
 * as a {@link DeadLetter} once, whichever of the bus's consumers meets it first (and not again
 * when one was written before, see {@link DeadLetterLedger}), counted, and its reason logged the
 * first time it is seen; consumption goes on.
 */
public final class KafkaEventBus implements EventBus {

  private static final Logger LOG = LoggerFactory.getLogger(KafkaEventBus.class);
  private static final int MAX_LOGGED_REASONS = 256;
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(10);
  /** How long the broker holds an idle fetch of a reader without a group. */
  private static final Duration IDLE_FETCH_WAIT = Duration.ofSeconds(5);
  /** Longest a group consumer's close waits to commit and leave its group. */
  private static final Duration GROUP_CLOSE_TIMEOUT = Duration.ofSeconds(5);
  /** How often a reader of all partitions without a group looks for added partitions. */
  private static final Duration PARTITION_CHECK = Duration.ofSeconds(30);
  /**
   * Produce requests the producer of awaited channels keeps in flight. One: a record goes out at
   * once when none is in flight, and the records sent while one is (other runs' hypergradients,
   * the meta-optimizer's other updates) go out together in the next, which the broker handles
   * in about the time of one. With several in flight, many latency-bound runs each cost the
   * broker and the clients a request per record, and on few cores their round trips got slower
   * for it (twice the requests per round trip with 10 runs in flight, see RoundTripBenchmark).
   */
  private static final int AWAITED_IN_FLIGHT = 1;
  /** Bytes a batched reader's fetch waits for, unless its batch wait passes first. */
  private static final int BATCH_FETCH_BYTES = 1 << 20;
  /**
   * Session timeout of a group member. A member that vanished without leaving its group (a
   * killed process) holds its partitions until this passes, and a restarted service, or the
   * services of a resumed run, wait that long for their first record: Kafka's 45 s default
   * stalled resumed runs for most of a minute. 10 s is Kafka's earlier default; heartbeats come
   * from the client's own thread, so long steps or collections do not end a session.
   */
  private static final Duration GROUP_SESSION_TIMEOUT = Duration.ofSeconds(10);

  private final KafkaConnection connection;
  private final Topics topics;
  private final KafkaBusSettings settings;
  private final KafkaProducer<String, byte[]> producer;
  /** The producer of background channels: {@link #producer} itself when the lingers agree. */
  private final KafkaProducer<String, byte[]> backgroundProducer;
  /**
   * The producer of each round channel by topic, lingering up to {@link
   * KafkaBusSettings#roundLinger()} until {@link #endRound} flushes it; none when that linger
   * is zero ({@link #producer} sends those channels then). Guarded by {@code this} for adds.
   */
  private final Map<String, RoundProducer> roundProducers = new ConcurrentHashMap<>();
  /** Flushes round producers off the caller's thread (a flush waits for the broker). */
  private final ExecutorService roundFlusher;
  private final Consumer<DeadLetter> deadLetterListener;
  private final LongAdder deadLetters = new LongAdder();
  private final DeadLetterLedger ledger;
  private final Set<String> loggedReasons = ConcurrentHashMap.newKeySet();
  private final Set<PollLoop<?>> loops = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean closed = new AtomicBoolean();

  private KafkaEventBus(
      KafkaConnection connection,
      Topics topics,
      KafkaBusSettings settings,
      Consumer<DeadLetter> deadLetterListener) {
    this.connection = connection;
    this.topics = topics;
    this.settings = settings;
    this.deadLetterListener = deadLetterListener;
    this.ledger = new DeadLetterLedger(connection, topics.deadLetter(), settings.pollTimeout());
    boolean oneProducer = settings.backgroundLinger().equals(settings.linger())
        && settings.backgroundBatchBytes() == settings.batchBytes();
    this.producer = producer(connection, settings, oneProducer ? "all" : "awaited",
        settings.linger(), AWAITED_IN_FLIGHT, settings.batchBytes());
    try {
      this.backgroundProducer = oneProducer
          ? producer
          : producer(connection, settings, "background", settings.backgroundLinger(), 5,
              settings.backgroundBatchBytes());
    } catch (RuntimeException e) {
      producer.close(Duration.ZERO);
      throw e;
    }
    boolean rounds = !settings.roundLinger().isZero();
    this.roundFlusher = rounds ? Executors.newSingleThreadExecutor(runnable -> {
      Thread thread = new Thread(runnable, "distilflux-round-flush");
      thread.setDaemon(true);
      return thread;
    }) : null;
  }

  private static KafkaProducer<String, byte[]> producer(
      KafkaConnection connection, KafkaBusSettings settings, String role, Duration linger,
      int inFlight, int batchBytes) {
    Map<String, Object> config = new HashMap<>();
    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    // Idempotence allows at most 5 requests in flight per connection, and keeps order with them.
    config.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, inFlight);
    config.put(ProducerConfig.LINGER_MS_CONFIG, (int) linger.toMillis());
    config.put(ProducerConfig.BATCH_SIZE_CONFIG, batchBytes);
    // Events are a few hundred bytes of JSON; on loopback compressing them costs more CPU than
    // the bytes it saves.
    config.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "none");
    // the role in the id tells the two apart in the broker's and the clients' metrics
    config.put(ProducerConfig.CLIENT_ID_CONFIG,
        "distilflux-producer-" + role + "-" + UUID.randomUUID());
    return new KafkaProducer<>(
        connection.clientConfig(config), new StringSerializer(), new ByteArraySerializer());
  }

  /** Connects with default settings and no dead-letter listener. */
  public static KafkaEventBus connect(String bootstrapServers, Topics topics) {
    return connect(bootstrapServers, topics, KafkaBusSettings.defaults(), letter -> {});
  }

  /**
   * Connects to a cluster. Topics are expected to exist (see {@link KafkaTopicsAdmin}).
   *
   * @param bootstrapServers {@code host:port[,host:port]}
   * @param topics the deployment's topic names; its dead-letter topic receives bad records
   * @param settings producer and consumer tuning
   * @param deadLetterListener told of every record sent to the dead-letter topic, on a client
   *     thread; keep it short
   */
  public static KafkaEventBus connect(
      String bootstrapServers,
      Topics topics,
      KafkaBusSettings settings,
      Consumer<DeadLetter> deadLetterListener) {
    if (bootstrapServers == null || bootstrapServers.isBlank()) {
      throw new IllegalArgumentException("bootstrap servers must not be blank");
    }
    return connect(KafkaConnection.plain(bootstrapServers), topics, settings, deadLetterListener);
  }

  /**
   * Connects to a cluster with the client properties of {@code connection} (security settings)
   * on every client. Topics are expected to exist (see {@link KafkaTopicsAdmin}).
   *
   * @param connection the cluster and the client properties
   * @param topics the deployment's topics; its dead-letter topic receives bad records
   * @param settings producer and consumer tuning
   * @param deadLetterListener told of every dead letter this bus writes (once per record), on a
   *     client thread; keep it short
   */
  public static KafkaEventBus connect(
      KafkaConnection connection,
      Topics topics,
      KafkaBusSettings settings,
      Consumer<DeadLetter> deadLetterListener) {
    return new KafkaEventBus(
        Objects.requireNonNull(connection, "connection"),
        Objects.requireNonNull(topics, "topics"),
        Objects.requireNonNull(settings, "settings"),
        Objects.requireNonNull(deadLetterListener, "deadLetterListener"));
  }

  /** Number of distinct records this bus's consumers wrote to the dead-letter topic. */
  public long deadLetterCount() {
    return deadLetters.sum();
  }

  @Override
  public <E extends Event> Flux<Delivery<E>> publish(Channel<E> channel, Flux<? extends E> events) {
    Objects.requireNonNull(channel, "channel");
    // flatMapSequential sends up to maxInFlight records concurrently and re-orders the acks.
    // Each event is sent on the thread that emits it: a trainer's step or a consumer's poll
    // thread hands its record straight to the producer, with no hop through another thread
    // (every hop is a wake-up that, on busy cores, costs milliseconds of a round trip).
    // Completions replenish demand from the producer's I/O thread, so a synchronous source may
    // then emit there; send() does not block it: the topic's metadata is known from the first
    // sends (made at subscription), and at most maxInFlight records per publish are buffered.
    return events.flatMapSequential(event -> send(channel, event), settings.maxInFlight(), 1);
  }

  private <E extends Event> Mono<Delivery<E>> send(Channel<E> channel, E event) {
    return Mono.create(
        sink -> {
          if (closed.get()) {
            sink.error(new IllegalStateException("the Kafka event bus is closed"));
            return;
          }
          if (!channel.type().isInstance(event)) {
            sink.error(
                new IllegalArgumentException(
                    "event " + event.getClass().getSimpleName() + " does not belong on topic "
                        + channel.topic()));
            return;
          }
          ProducerRecord<String, byte[]> record =
              new ProducerRecord<>(channel.topic(), event.runId(), EventCodec.encode(event));
          try {
            KafkaProducer<String, byte[]> sender = switch (channel.urgency()) {
              case AWAITED -> producer;
              case ROUND -> roundFlusher == null ? producer : roundProducer(channel).producer;
              case BACKGROUND -> backgroundProducer;
            };
            sender.send(
                record,
                (metadata, error) -> {
                  if (error != null) {
                    sink.error(error);
                  } else {
                    sink.success(new Delivery<>(event, metadata.partition(), metadata.offset()));
                  }
                });
          } catch (RuntimeException e) {
            sink.error(e);
          }
        });
  }

  /**
   * Flushes the channel's round producer on the flushing thread; rounds ended while a flush
   * waits for the broker go out in the next one.
   */
  @Override
  public void endRound(Channel<?> channel) {
    RoundProducer round = roundProducers.get(channel.topic());
    if (round == null || closed.get() || !round.flushPending.compareAndSet(false, true)) {
      return;
    }
    try {
      roundFlusher.execute(() -> {
        round.flushPending.set(false);
        round.producer.flush();
      });
    } catch (RejectedExecutionException e) {
      round.flushPending.set(false); // closing: close() sends what is held
    }
  }

  /** A round channel's producer and whether a flush of it is queued. */
  private record RoundProducer(KafkaProducer<String, byte[]> producer,
      AtomicBoolean flushPending) {}

  /** The channel's round producer, made at its first send. */
  private RoundProducer roundProducer(Channel<?> channel) {
    RoundProducer existing = roundProducers.get(channel.topic());
    if (existing != null) {
      return existing;
    }
    synchronized (this) {
      if (closed.get()) {
        throw new IllegalStateException("the Kafka event bus is closed");
      }
      return roundProducers.computeIfAbsent(channel.topic(), topic -> new RoundProducer(
          producer(connection, settings, "round-" + channel.type().getSimpleName(),
              settings.roundLinger(), AWAITED_IN_FLIGHT, settings.batchBytes()),
          new AtomicBoolean()));
    }
  }

  @Override
  public <E extends Event> Flux<Received<E>> consume(Channel<E> channel, ConsumerOptions options) {
    return poll(channel, options, false);
  }

  /** Each list holds the records of one poll (those of it the subscriber had asked for). */
  @Override
  public <E extends Event> Flux<List<Received<E>>> consumeBatches(
      Channel<E> channel, ConsumerOptions options) {
    return poll(channel, options, true);
  }

  private <E extends Event, T> Flux<T> poll(Channel<E> channel, ConsumerOptions options,
      boolean batches) {
    Objects.requireNonNull(channel, "channel");
    Objects.requireNonNull(options, "options");
    if (options.groupId() == null || options.groupId().isBlank()) {
      throw new IllegalArgumentException("consumer option groupId must not be blank");
    }
    if (options.bufferSize() < 1) {
      throw new IllegalArgumentException(
          "consumer option bufferSize must be >= 1, got " + options.bufferSize());
    }
    return Flux.<T>create(
        sink -> {
          if (closed.get()) {
            sink.error(new IllegalStateException("the Kafka event bus is closed"));
            return;
          }
          PollLoop<E> loop = new PollLoop<>(channel, options, sink, batches);
          loops.add(loop);
          loop.start();
        },
        FluxSink.OverflowStrategy.ERROR);
  }

  @Override
  public <E extends Event> Flux<E> replay(Channel<E> channel) {
    return replay(channel, Instant.EPOCH);
  }

  @Override
  public <E extends Event> Flux<E> replay(Channel<E> channel, Instant since) {
    Objects.requireNonNull(channel, "channel");
    Objects.requireNonNull(since, "since");
    if (closed.get()) {
      return Flux.error(new IllegalStateException("the Kafka event bus is closed"));
    }
    return KafkaReplay.read(connection, channel, settings.pollTimeout(), since);
  }

  /**
   * Stops the consumers (committing what was acknowledged) and closes the producers, which
   * first send what they hold.
   */
  @Override
  public void close() {
    synchronized (this) { // no round producer is made after this
      if (!closed.compareAndSet(false, true)) {
        return;
      }
    }
    // All consumers stop at once: each close waits for its fetch session's closing request,
    // which queues behind the consumer's long poll, so closing them one by one adds those waits.
    List<PollLoop<?>> running = List.copyOf(loops);
    running.forEach(loop -> loop.stop(true));
    running.forEach(PollLoop::join);
    if (roundFlusher != null) {
      roundFlusher.shutdown();
      roundProducers.values().forEach(round -> round.producer.close(CLOSE_TIMEOUT));
    }
    if (backgroundProducer != producer) {
      backgroundProducer.close(CLOSE_TIMEOUT);
    }
    producer.close(CLOSE_TIMEOUT);
  }

  /**
   * Writes a record's dead letter, once per record whoever rejects it, then runs {@code done};
   * a record that already has one is only marked done.
   */
  private void deadLetter(ConsumerRecord<String, byte[]> record, String reason, Runnable done) {
    if (!ledger.claim(record.topic(), record.partition(), record.offset())) {
      done.run();
      return;
    }
    DeadLetter letter =
        DeadLetter.of(
            record.topic(), record.partition(), record.offset(), record.key(), reason,
            record.value());
    if (loggedReasons.size() < MAX_LOGGED_REASONS && loggedReasons.add(letter.reason())) {
      LOG.warn(
          "record {}-{}@{} sent to {}: {}", record.topic(), record.partition(), record.offset(),
          topics.deadLetter(), letter.reason());
    }
    try {
      backgroundProducer.send(
          new ProducerRecord<>(topics.deadLetter(), letter.key(), letter.toJson()),
          (metadata, error) -> deadLetterWritten(letter, error, done));
    } catch (RuntimeException e) {
      deadLetterWritten(letter, e, done);
    }
  }

  private void deadLetterWritten(DeadLetter letter, Exception error, Runnable done) {
    if (error != null) {
      // Forgotten again, so whoever reads the record next tries once more.
      ledger.release(letter.topic(), letter.partition(), letter.offset());
      LOG.error(
          "cannot write dead letter for {}-{}@{}: {}", letter.topic(), letter.partition(),
          letter.offset(), error.getMessage());
    } else {
      deadLetters.increment();
      deadLetterListener.accept(letter);
    }
    // Processed either way: a record that cannot be read must not block its partition.
    done.run();
  }

  /** One subscription: a consumer, its poll thread and the bookkeeping of acknowledgements. */
  private final class PollLoop<E extends Event> {
    private final Channel<E> channel;
    private final ConsumerOptions options;
    /** Emits records one by one, or (with {@link #batches}) lists of them. */
    private final FluxSink<?> sink;
    private final boolean batches;
    private final KafkaConsumer<String, byte[]> consumer;
    private final Thread thread;
    /** The runs whose events are emitted, or null for every run. */
    private final Set<String> runFilter;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicBoolean completeOnStop = new AtomicBoolean();
    /** Set while records wait for demand: only then does a request have to wake the poll. */
    private final AtomicBoolean starved = new AtomicBoolean();
    // Owned by the poll thread only.
    private final ArrayDeque<Received<E>> pending = new ArrayDeque<>();
    private final Map<TopicPartition, PartitionProgress> progress = new HashMap<>();
    private boolean paused;
    private boolean positionedSince;
    private long nextCommitNanos;
    private long nextPartitionCheckNanos;

    PollLoop(Channel<E> channel, ConsumerOptions options, FluxSink<?> sink, boolean batches) {
      this.channel = channel;
      this.options = options;
      this.sink = sink;
      this.batches = batches;
      this.runFilter = options.runIds().isEmpty() ? null : options.runIds();
      Map<String, Object> config = new HashMap<>();
      if (options.commits()) {
        config.put(ConsumerConfig.GROUP_ID_CONFIG, options.groupId());
        config.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG,
            (int) GROUP_SESSION_TIMEOUT.toMillis());
      } else {
        // No rebalance can change a fixed assignment, so an idle reader may park its fetch at
        // the broker for long: it costs a request per IDLE_FETCH_WAIT, not two a second.
        config.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, (int) IDLE_FETCH_WAIT.toMillis());
      }
      if (!options.batchWait().isZero()) {
        config.put(ConsumerConfig.FETCH_MIN_BYTES_CONFIG, BATCH_FETCH_BYTES);
        config.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, (int) options.batchWait().toMillis());
      }
      config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
      config.put(
          ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, options.fromEarliest() ? "earliest" : "latest");
      config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Math.min(options.bufferSize(), 500));
      config.put(ConsumerConfig.CLIENT_ID_CONFIG,
          "distilflux-" + options.groupId() + "-" + UUID.randomUUID());
      this.consumer = new KafkaConsumer<>(
          connection.clientConfig(config), new StringDeserializer(), new ByteArrayDeserializer());
      this.thread =
          new Thread(this::run, "distilflux-poll-" + channel.topic() + "-" + options.groupId());
      thread.setDaemon(true);
      sink.onRequest(
          n -> {
            if (starved.compareAndSet(true, false)) {
              consumer.wakeup(); // records are waiting: hand them over now, not after the poll
            }
          });
      sink.onCancel(() -> stop(false));
    }

    void start() {
      thread.start();
    }

    void stop(boolean complete) {
      completeOnStop.set(complete);
      if (running.compareAndSet(true, false)) {
        consumer.wakeup();
      }
    }

    void join() {
      try {
        thread.join(CLOSE_TIMEOUT.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    private void run() {
      Throwable failure = null;
      try {
        if (!options.commits()) {
          assignWithoutGroup();
        } else if (runFilter == null || !assignRunPartition()) {
          consumer.subscribe(List.of(channel.topic()), new Rebalance());
        }
        while (running.get()) {
          refreshPartitionsWithoutGroup();
          commitProcessed(false);
          emitPending();
          pauseWhenFull();
          try {
            ConsumerRecords<String, byte[]> records = consumer.poll(settings.pollTimeout());
            for (TopicPartition partition : records.partitions()) {
              PartitionProgress state =
                  progress.computeIfAbsent(partition, p -> new PartitionProgress());
              for (ConsumerRecord<String, byte[]> record : records.records(partition)) {
                accept(record, state);
              }
            }
          } catch (WakeupException e) {
            // woken for new demand or to stop; the loop condition decides
          }
        }
        commitProcessed(true);
      } catch (RuntimeException e) {
        failure = e;
      } finally {
        loops.remove(this);
        try {
          // A reader without a group has nothing to commit and no group to leave; waiting for
          // its fetch session to close would queue behind the fetch it parked at the broker (up
          // to IDLE_FETCH_WAIT), and the broker drops an unused session by itself.
          consumer.close(options.commits() ? GROUP_CLOSE_TIMEOUT : Duration.ZERO);
        } catch (RuntimeException e) {
          LOG.warn("closing consumer of {} failed: {}", channel.topic(), e.getMessage());
        }
      }
      if (failure != null) {
        sink.error(failure);
      } else if (completeOnStop.get()) {
        sink.complete();
      }
    }

    /**
     * Assigns the partitions the runs' keys map to (the producer's default partitioner), so no
     * group join delays the first record. False when the topic's partitions are not known.
     */
    private boolean assignRunPartition() {
      List<PartitionInfo> partitions = consumer.partitionsFor(channel.topic());
      if (partitions == null || partitions.isEmpty()) {
        return false;
      }
      Set<TopicPartition> assigned = new HashSet<>();
      for (String run : runFilter) {
        int index = BuiltInPartitioner.partitionForKey(
            run.getBytes(StandardCharsets.UTF_8), partitions.size());
        assigned.add(new TopicPartition(channel.topic(), index));
      }
      consumer.assign(assigned);
      for (TopicPartition partition : assigned) {
        progress.put(partition, new PartitionProgress());
      }
      seekSince(assigned);
      return true;
    }

    /**
     * Positions a reader of history that starts at a time ({@link ConsumerOptions#since()}) on
     * its first assignment; partitions the topic gains later are read from their start.
     */
    private void seekSince(Set<TopicPartition> assigned) {
      if (positionedSince || options.commits()) {
        return;
      }
      if (!options.since().equals(Instant.EPOCH)) {
        KafkaReplay.seekTo(consumer, assigned, options.since(), consumer.endOffsets(assigned));
      }
      positionedSince = true; // after the seek: a wake-up during it has it done again
    }

    /**
     * A reader without a group takes its run's partition, or all the topic's partitions, itself;
     * it waits (stoppably) for the topic to exist.
     */
    private void assignWithoutGroup() {
      while (running.get()) {
        try {
          boolean assigned = runFilter != null ? assignRunPartition() : assignAllPartitions();
          if (assigned) {
            return;
          }
          Thread.sleep(settings.pollTimeout().toMillis());
        } catch (WakeupException e) {
          // stopping, or demand before the first record: the loop condition decides
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          running.set(false);
        }
      }
    }

    /** Assigns every partition of the topic not yet assigned; false when none is known. */
    private boolean assignAllPartitions() {
      nextPartitionCheckNanos = System.nanoTime() + PARTITION_CHECK.toNanos();
      List<PartitionInfo> partitions = consumer.partitionsFor(channel.topic());
      if (partitions == null || partitions.isEmpty()) {
        return false;
      }
      Set<TopicPartition> all = new HashSet<>(consumer.assignment());
      for (PartitionInfo info : partitions) {
        TopicPartition partition = new TopicPartition(info.topic(), info.partition());
        if (all.add(partition)) {
          progress.put(partition, new PartitionProgress());
        }
      }
      if (!all.equals(consumer.assignment())) {
        consumer.assign(all);
      }
      seekSince(all);
      return true;
    }

    /** Picks up partitions added to the topic since, for a reader of all of them. */
    private void refreshPartitionsWithoutGroup() {
      if (!options.commits() && runFilter == null
          && System.nanoTime() - nextPartitionCheckNanos >= 0) {
        try {
          assignAllPartitions();
        } catch (WakeupException e) {
          // new demand or a stop: the next check comes with the next period
        }
      }
    }

    private void accept(ConsumerRecord<String, byte[]> record, PartitionProgress state) {
      long offset = record.offset();
      state.fetched(offset);
      // Another run's record (the key is the run id) is not even decoded.
      if (runFilter != null && record.key() != null && !runFilter.contains(record.key())) {
        state.processed(offset);
        return;
      }
      E event;
      try {
        event = EventCodec.decode(record.value(), channel.type());
      } catch (RuntimeException e) {
        String reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        deadLetter(record, reason, () -> state.processed(offset));
        return;
      }
      // The key places a run's records on one partition, in order: a record whose key names
      // another run sits outside its run's sequence.
      if (record.key() != null && !record.key().equals(event.runId())) {
        deadLetter(record, "record key '" + DeadLetter.cut(record.key())
            + "' does not match the run id '" + event.runId() + "'", () -> state.processed(offset));
        return;
      }
      if (runFilter != null && !runFilter.contains(event.runId())) {
        state.processed(offset);
        return;
      }
      Runnable processed = () -> state.processed(offset);
      pending.add(new Received<>(event, record.partition(), offset, processed,
          reason -> deadLetter(record, reason, processed)));
    }

    private void emitPending() {
      while (!pending.isEmpty() && !sink.isCancelled()) {
        if (sink.requestedFromDownstream() == 0) {
          starved.set(true);
          // A request that came before the flag was set did not wake the poll: look again.
          if (sink.requestedFromDownstream() == 0) {
            return;
          }
          starved.set(false);
        }
        emitNext();
      }
    }

    /** Hands over the next record, or every pending record as one list. */
    @SuppressWarnings("unchecked")
    private void emitNext() {
      if (batches) {
        ((FluxSink<List<Received<E>>>) sink).next(List.copyOf(pending));
        pending.clear();
      } else {
        ((FluxSink<Received<E>>) sink).next(pending.poll());
      }
    }

    private void pauseWhenFull() {
      if (pending.size() >= options.bufferSize()) {
        consumer.pause(consumer.assignment()); // again each time: a rebalance may add some
        paused = true;
      } else if (paused) {
        consumer.resume(consumer.paused());
        paused = false;
      }
    }

    private void commitProcessed(boolean sync) {
      if (!options.commits()) {
        return;
      }
      long now = System.nanoTime();
      if (!sync && now - nextCommitNanos < 0) {
        return;
      }
      nextCommitNanos = now + settings.commitInterval().toNanos();
      Map<TopicPartition, OffsetAndMetadata> commits = new HashMap<>();
      progress.forEach(
          (partition, state) -> {
            long next = state.committable();
            if (next > state.committed) {
              commits.put(partition, new OffsetAndMetadata(next));
              state.committed = next;
            }
          });
      if (commits.isEmpty()) {
        return;
      }
      if (sync) {
        commitSyncDespiteWakeups(commits);
      } else {
        consumer.commitAsync(
            commits,
            (offsets, error) -> {
              if (error != null) {
                LOG.warn("commit on {} failed: {}", channel.topic(), error.getMessage());
              }
            });
      }
    }

    /** A new demand may wake the consumer at any time; a final commit must still happen. */
    private void commitSyncDespiteWakeups(Map<TopicPartition, OffsetAndMetadata> commits) {
      for (int attempt = 1; ; attempt++) {
        try {
          consumer.commitSync(commits);
          return;
        } catch (WakeupException e) {
          if (attempt == 3) {
            throw e;
          }
        }
      }
    }

    /** Keeps progress consistent across rebalances: commit, then forget revoked partitions. */
    private final class Rebalance implements ConsumerRebalanceListener {
      @Override
      public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
        commitProcessed(true);
        Set<TopicPartition> revoked = new HashSet<>(partitions);
        progress.keySet().removeAll(revoked);
        pending.removeIf(r -> revoked.contains(new TopicPartition(channel.topic(), r.partition())));
      }

      @Override
      public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
        for (TopicPartition partition : partitions) {
          progress.put(partition, new PartitionProgress());
        }
      }
    }
  }

  /**
   * Offsets fetched from one partition, in increasing order, and which of them are processed;
   * the committable position is just past the longest processed prefix. The poll thread adds
   * offsets and reads the position, acknowledgements come from any thread: a ring of primitive
   * offsets under the instance's lock, no boxing, no queue between the threads.
   */
  private static final class PartitionProgress {
    private long[] offsets = new long[256];
    private boolean[] done = new boolean[256];
    private int head;
    private int size;
    private long committable = -1;
    /** Last committed position; poll thread only. */
    long committed = -1;

    synchronized void fetched(long offset) {
      if (size == offsets.length) {
        grow();
      }
      int slot = (head + size) & (offsets.length - 1);
      offsets[slot] = offset;
      done[slot] = false;
      size++;
    }

    synchronized void processed(long offset) {
      int mask = offsets.length - 1;
      int index = indexOf(offset);
      if (index < 0) {
        return; // not outstanding: acknowledged twice, or its partition was revoked
      }
      done[(head + index) & mask] = true;
      while (size > 0 && done[head]) {
        committable = offsets[head] + 1;
        head = (head + 1) & mask;
        size--;
      }
    }

    synchronized long committable() {
      return committable;
    }

    /** Position of the offset among the outstanding ones (binary search), or -1. */
    private int indexOf(long offset) {
      int mask = offsets.length - 1;
      int low = 0;
      int high = size - 1;
      while (low <= high) {
        int mid = (low + high) >>> 1;
        long value = offsets[(head + mid) & mask];
        if (value < offset) {
          low = mid + 1;
        } else if (value > offset) {
          high = mid - 1;
        } else {
          return mid;
        }
      }
      return -1;
    }

    private void grow() {
      int capacity = offsets.length * 2;
      long[] moreOffsets = new long[capacity];
      boolean[] moreDone = new boolean[capacity];
      for (int i = 0; i < size; i++) {
        int slot = (head + i) & (offsets.length - 1);
        moreOffsets[i] = offsets[slot];
        moreDone[i] = done[slot];
      }
      offsets = moreOffsets;
      done = moreDone;
      head = 0;
    }
  }
}
