// A typed event bus: services publish, transports subscribe. Subscriptions
// return their unsubscribe function.
import type { AppEvent, EventMap, EventName } from '../contract/events'

export type EventListener = (event: AppEvent) => void

export class EventBus {
  private readonly listeners = new Set<EventListener>()

  emit<N extends EventName>(name: N, payload: EventMap[N]): void {
    const event = { name, payload } as AppEvent
    for (const l of [...this.listeners]) {
      try {
        l(event)
      } catch (err) {
        console.error(`event listener failed on ${name}:`, err)
      }
    }
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }
}
