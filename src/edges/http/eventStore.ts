/**
 * The messages of one session, kept so that a client whose stream dropped can resume it with
 * Last-Event-ID. Each session has its own store: an event id from another session is unknown here,
 * so no client can replay what was sent to someone else. The store is bounded; the oldest events
 * go first, and a client that resumes from an event no longer kept is told its id is unknown.
 */
import type { EventId, EventStore, JSONRPCMessage, StreamId } from '@modelcontextprotocol/server';

interface StoredEvent {
  readonly streamId: StreamId;
  readonly message: JSONRPCMessage;
}

export class SessionEventStore implements EventStore {
  private readonly events = new Map<EventId, StoredEvent>();
  private counter = 0;

  constructor(private readonly capacity: number) {}

  async storeEvent(streamId: StreamId, message: JSONRPCMessage): Promise<EventId> {
    const eventId = String(++this.counter);
    this.events.set(eventId, { streamId, message });
    if (this.events.size > this.capacity) {
      const oldest = this.events.keys().next().value;
      if (oldest !== undefined) this.events.delete(oldest);
    }
    return eventId;
  }

  async getStreamIdForEventId(eventId: EventId): Promise<StreamId | undefined> {
    return this.events.get(eventId)?.streamId;
  }

  async replayEventsAfter(lastEventId: EventId, { send }: { send: (eventId: EventId, message: JSONRPCMessage) => Promise<void> }): Promise<StreamId> {
    const streamId = this.events.get(lastEventId)?.streamId;
    if (streamId === undefined) return '';
    const after = Number(lastEventId);
    for (const [eventId, event] of [...this.events]) {
      // Priming events (empty messages) only carry an id; they are not replayed.
      if (Number(eventId) > after && event.streamId === streamId && Object.keys(event.message).length > 0) await send(eventId, event.message);
    }
    return streamId;
  }
}
