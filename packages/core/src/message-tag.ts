/**
 * A tag carried beside a message (see `Runtime.sendTagged`): the class that
 * wraps the message for a receiver that does not read tags. A GenServer's casts travel
 * as the bare request tagged `CastEnvelope`, so a flood of casts allocates nothing.
 */
export type MessageTag = new (message: unknown) => unknown;

/** @internal `message` as a reader that does not read tags sees it. */
export function wrap(message: unknown, tag: MessageTag | undefined): unknown {
  return tag === undefined ? message : new tag(message);
}

// Queued tags are stored as one byte each (an index into `tagClasses`), in typed arrays
// the garbage collector never scans: a flood of casts costs a ninth more memory, not double.
const tagIds = new Map<MessageTag, number>();
const tagClasses: (MessageTag | undefined)[] = [undefined];

/** @internal The byte that stands for `tag` in a queue (0 is "no tag"). */
export function tagId(tag: MessageTag): number {
  let id = tagIds.get(tag);
  if (id === undefined) {
    if (tagClasses.length === 256) throw new RangeError('More than 255 message tags.');
    id = tagClasses.push(tag) - 1;
    tagIds.set(tag, id);
  }
  return id;
}

/** @internal The tag a byte from `tagId` stands for. */
export function tagOf(id: number): MessageTag | undefined {
  return tagClasses[id];
}
