/** A minimal event emitter: `on` returns the function that unsubscribes. */
export class Emitter {
  #listeners = new Map();

  on(type, listener) {
    if (!this.#listeners.has(type)) this.#listeners.set(type, new Set());
    this.#listeners.get(type).add(listener);
    return () => this.off(type, listener);
  }

  once(type, listener) {
    const off = this.on(type, (...args) => {
      off();
      listener(...args);
    });
    return off;
  }

  off(type, listener) {
    this.#listeners.get(type)?.delete(listener);
  }

  emit(type, ...args) {
    for (const listener of [...(this.#listeners.get(type) ?? [])]) {
      try {
        listener(...args);
      } catch (error) {
        // One faulty listener must not starve the others or break the socket's read loop.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  /** Resolves with the first event of `type` that satisfies `where`, or rejects after `timeoutMs`. */
  waitFor(type, where = () => true, timeoutMs = 10000) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for "${type}"`));
      }, timeoutMs);
      const off = this.on(type, (value) => {
        if (!where(value)) return;
        clearTimeout(timer);
        off();
        resolve(value);
      });
    });
  }
}
