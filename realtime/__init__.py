"""Everything between a socket and the broker: the base consumer and its life cycle, frames in and
out, rate limits, origin, socket auth and token re-checks, the socket watch, the hand-over to the
workers and its batching, and the fan-out back to the sockets. Imports `core` only."""
