package io.distilflux.pipeline;

import io.distilflux.pipeline.event.Event;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import reactor.core.publisher.Flux;

/**
 * A bus that hands every call to another one, for tests that change one behaviour (a failing or
 * a slow publish) and keep the rest. Closing it leaves the other bus open.
 */
public class ForwardingEventBus implements EventBus {

  private final EventBus delegate;

  public ForwardingEventBus(EventBus delegate) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
  }

  @Override
  public <E extends Event> Flux<Delivery<E>> publish(Channel<E> channel,
      Flux<? extends E> events) {
    return delegate.publish(channel, events);
  }

  @Override
  public void endRound(Channel<?> channel) {
    delegate.endRound(channel);
  }

  @Override
  public <E extends Event> Flux<Received<E>> consume(Channel<E> channel,
      ConsumerOptions options) {
    return delegate.consume(channel, options);
  }

  @Override
  public <E extends Event> Flux<List<Received<E>>> consumeBatches(Channel<E> channel,
      ConsumerOptions options) {
    return delegate.consumeBatches(channel, options);
  }

  @Override
  public <E extends Event> Flux<E> replay(Channel<E> channel) {
    return delegate.replay(channel);
  }

  @Override
  public <E extends Event> Flux<E> replay(Channel<E> channel, Instant since) {
    return delegate.replay(channel, since);
  }

  @Override
  public void close() {}
}
