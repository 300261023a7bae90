"""``SeenIndex``: which document first had a value (a ``cbc:UUID``), in 20 to 40 bytes per document.

A batch of a gigabyte holds half a million documents: a ``dict`` of their UUIDs would take some
70 MB, more than everything else a validation holds. This table keeps a 64-bit digest (Python's
own string hash, SipHash) of each value and the position of its first document (32 bits, 64 past
four billion) in two flat arrays (open addressing, linear probing, at most 60 % full): 12 MB for half
a million documents. Two different values share a digest with a probability of about n^2 / 2^65
(1e-8 for a million documents).
"""

from __future__ import annotations

from array import array

_EMPTY = 0
_MASK64 = (1 << 64) - 1
_MAX_SMALL = (1 << 32) - 1


class SeenIndex:
    """``first(value, position)``: the position first given with ``value``; ``position`` if new."""

    def __init__(self, capacity: int = 1 << 12) -> None:
        size = 1
        while size < capacity:
            size <<= 1
        self._keys = array("Q", bytes(8 * size))
        self._positions = array("I", bytes(4 * size))
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def first(self, value: str, position: int) -> int:
        """Record ``value`` at ``position`` unless it was seen before; give its first position."""
        key = (hash(value) & _MASK64) | 1  # SipHash, 64 bits; one process asks, so its seed is one
        mask = len(self._keys) - 1
        slot = key & mask
        while True:
            found = self._keys[slot]
            if found == _EMPTY:
                break
            if found == key:
                return self._positions[slot]
            slot = (slot + 1) & mask
        self._keys[slot] = key
        if position > _MAX_SMALL and self._positions.typecode == "I":
            self._positions = array("Q", self._positions)
        self._positions[slot] = position
        self._count += 1
        if self._count * 5 > len(self._keys) * 3:
            self._grow()
        return position

    def _grow(self) -> None:
        keys, positions = self._keys, self._positions
        size = len(keys) * 2
        self._keys = array("Q", bytes(8 * size))
        self._positions = array(positions.typecode, bytes(positions.itemsize * size))
        mask = size - 1
        for key, position in zip(keys, positions, strict=True):
            if key == _EMPTY:
                continue
            slot = key & mask
            while self._keys[slot] != _EMPTY:
                slot = (slot + 1) & mask
            self._keys[slot] = key
            self._positions[slot] = position
