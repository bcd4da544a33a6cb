/** A client-chosen idempotency key (contract §0: at most 64 characters). Works outside secure contexts too. */
export function newTempId(prefix = "c") {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  return `${prefix}-${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** Ids are numbers on the wire; numeric strings are accepted and normalised (contract §0). */
export function toId(value) {
  const id = typeof value === "string" && /^\d+$/.test(value) ? Number(value) : value;
  if (!Number.isSafeInteger(id) || id <= 0) throw new TypeError(`not an id: ${JSON.stringify(value)}`);
  return id;
}

/** A set that forgets its oldest entries past `limit`, for de-duplication over a long session. */
export class RecentSet {
  #items = new Set();

  constructor(limit = 5000) {
    this.limit = limit;
  }

  has(value) {
    return this.#items.has(value);
  }

  /** Adds `value`; returns false if it was already there. */
  add(value) {
    if (this.#items.has(value)) return false;
    this.#items.add(value);
    if (this.#items.size > this.limit) this.#items.delete(this.#items.values().next().value);
    return true;
  }
}
