// A Fedify-based ActivityPub peer for tests/interop/test_fedify.py.
//
// Fedify (https://fedify.dev, npm @fedify/fedify) is a third-party ActivityPub
// server framework; nothing here re-implements federation: WebFinger, actor
// documents, HTTP signatures (signing and verifying), JSON-LD and delivery are
// all Fedify's own code.  This file only wires a tiny server around it.
//
// Usage:  node peer.mjs [--first-knock rfc9421|draft-cavage-http-signatures-12]
//
// It serves one actor, "bob", on a free loopback port, prints
//   {"event": "ready", "origin": ..., "actor": ..., "handle": ...}
// and then reads commands, one JSON object per line, on standard input:
//   {"cmd": "follow", "handle": "alice@127.0.0.1:8443", "timeout": 20}
//       WebFinger-resolves the handle, fetches the actor, sends it a Follow
//       signed by bob and waits for the Accept (or Reject) in bob's inbox.
//   {"cmd": "wait_follower", "actor": "https://...", "timeout": 20}
//       waits until bob's inbox has received (and verified) a Follow from
//       that actor and bob's Accept has been delivered.
//   {"cmd": "publish", "audience": "public"|"followers"|"direct", "content": "<p>..</p>",
//    "hashtags": ["InteropTag"], "to": "https://... (direct: the one addressed actor)",
//    "image": {"path": "/media/a.png", "base64": "...", "mediaType": "image/png", "alt": ".."}}
//       bob posts a Create(Note): public (to Public, cc followers), followers-only
//       (to followers) or direct (to and Mention of `to`), delivered to bob's
//       followers (direct: to `to` only); an image is served by this peer at `path`.
//   {"cmd": "update", "note": "<id>", "content": "..."}   Update of that note (same audience).
//   {"cmd": "delete", "note": "<id>"}                    Delete (Tombstone) of that note.
//   {"cmd": "announce", "object": "<uri>"}               a public Announce to bob's followers.
//   {"cmd": "undo", "activity": "<announce id>"}          Undo of that Announce.
//   {"cmd": "like", "object": "<uri>", "to": "<actor uri>"}  a Like of that post, sent to its author.
//       Each answers with the activity's id and every delivery ({url, status}).
//   {"cmd": "webfinger", "handle": "erin@127.0.0.1:8443"}
//       Fedify's WebFinger lookup of a handle: the JRD (a remote-follow page
//       takes the subscribe template from it).
//   {"cmd": "state"}      everything recorded so far.
//   {"cmd": "quit"}
// Each command is answered with one JSON line {"cmd": ..., "ok": bool, ...}.
// A received Create is recorded with its object's type, inReplyTo and attachments ({name, mediaType, url}).
// Standard error carries Fedify's own log.  Exits non-zero on a fatal error.

import http from "node:http";
import { once } from "node:events";
import readline from "node:readline";
import { parseArgs } from "node:util";

import { configure } from "@logtape/logtape";
import {
  createFederation,
  generateCryptoKeyPair,
  MemoryKvStore,
} from "@fedify/fedify";
import {
  Accept,
  Activity,
  Announce,
  Create,
  Delete,
  Endpoints,
  Follow,
  Hashtag,
  Image,
  Like,
  isActor,
  Mention,
  Note,
  Person,
  PUBLIC_COLLECTION,
  Reject,
  Tombstone,
  Undo,
  Update,
} from "@fedify/vocab";
import { Temporal } from "@js-temporal/polyfill";

const { values: opts } = parseArgs({
  options: {
    "first-knock": { type: "string", default: "rfc9421" },
    "log-level": { type: "string", default: "info" },
    "lifetime": { type: "string", default: "300" },
  },
});

const firstKnock = opts["first-knock"];
if (!["rfc9421", "draft-cavage-http-signatures-12"].includes(firstKnock)) {
  fatal(`unknown --first-knock ${firstKnock}`);
}

function emit(obj) {
  process.stdout.write(JSON.stringify(obj) + "\n");
}

function fatal(message) {
  emit({ event: "fatal", error: String(message) });
  process.exit(2);
}

// Never outlive the test that started us, even if it forgets to stop us.
setTimeout(() => fatal("lifetime exceeded"), Number(opts.lifetime) * 1000).unref();

await configure({
  sinks: {
    stderr(record) {
      const msg = record.message.map((part) =>
        typeof part === "string" ? part : safeJson(part)
      ).join("");
      process.stderr.write(
        `${new Date(record.timestamp).toISOString()} ${record.level} ` +
          `${record.category.join(".")}: ${msg}\n`,
      );
    },
  },
  loggers: [
    { category: "fedify", sinks: ["stderr"], lowestLevel: opts["log-level"] },
    { category: ["logtape", "meta"], sinks: ["stderr"], lowestLevel: "error" },
  ],
});

function safeJson(value) {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  try {
    return typeof value === "object" ? JSON.stringify(value) : String(value);
  } catch {
    return String(value);
  }
}

// ---------------------------------------------------------------- recording

const state = {
  // Activities that reached bob's inbox listeners, i.e. whose HTTP signature
  // Fedify verified (Fedify calls listeners only for verified activities).
  received: [],
  // Activities whose signature Fedify refused (onUnverifiedActivity).
  unverified: [],
  // Every HTTP request Fedify itself sent (observed, not altered).
  outgoing: [],
  // Every HTTP request the peer's server answered.
  incoming: [],
  // Follows we sent: { id, object }.
  sentFollows: [],
  // Accepts bob sent in answer to Follows: { follow, follower, accept }.
  acceptsSent: [],
  inboxErrors: [],
  // Notes bob published: { id, audience, content, deliveries }.
  published: [],
};
// Follower actor objects (whom bob's posts go to), by id; notes bob published, by id;
// files served under /media/ (the images of bob's posts).
const followerActors = new Map();
const notes = new Map();
const files = new Map();
const announces = new Map();  // bob's Announce activities by id, for their Undo
const waiters = new Set();

function notify() {
  for (const check of [...waiters]) check();
}

function waitFor(predicate, timeoutSeconds) {
  return new Promise((resolve) => {
    const check = () => {
      const found = predicate();
      if (found) {
        waiters.delete(check);
        clearTimeout(timer);
        resolve(found);
      }
    };
    const timer = setTimeout(() => {
      waiters.delete(check);
      resolve(null);
    }, timeoutSeconds * 1000);
    waiters.add(check);
    check();
  });
}

// Observe (never change) what Fedify sends: which signature scheme each
// outgoing POST carried and what the peer answered.
const realFetch = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  // Read, never construct: building a Request from `input` would consume its body.
  const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
  const entry = {
    method: init?.method ?? (input instanceof Request ? input.method : "GET"),
    url: input instanceof Request ? input.url : String(input),
    signature: signatureScheme(headers),
  };
  state.outgoing.push(entry);
  try {
    const response = await realFetch(input, init);
    entry.status = response.status;
    return response;
  } catch (error) {
    entry.error = String(error?.cause ?? error);
    throw error;
  }
};

// ---------------------------------------------------------------- the server

const server = http.createServer();
server.listen(0, "127.0.0.1");
await once(server, "listening");
const origin = `http://127.0.0.1:${server.address().port}`;

const federation = createFederation({
  kv: new MemoryKvStore(),
  origin,
  allowPrivateAddress: true, // loopback peers only; this is a test peer
  skipSignatureVerification: false, // explicit: every inbox POST is verified
  firstKnock,
});

const keyPairs = {
  rsa: await generateCryptoKeyPair("RSASSA-PKCS1-v1_5"),
  ed25519: await generateCryptoKeyPair("Ed25519"),
};

federation
  .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
    if (identifier !== "bob") return null;
    const keys = await ctx.getActorKeyPairs(identifier);
    return new Person({
      id: ctx.getActorUri(identifier),
      preferredUsername: identifier,
      name: "Bob (Fedify)",
      summary: "A Fedify test peer.",
      url: ctx.getActorUri(identifier),
      inbox: ctx.getInboxUri(identifier),
      outbox: ctx.getOutboxUri(identifier),
      followers: ctx.getFollowersUri(identifier),
      following: ctx.getFollowingUri(identifier),
      endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
      manuallyApprovesFollowers: false,
      publicKey: keys[0].cryptographicKey,
      assertionMethods: keys.map((key) => key.multikey),
    });
  })
  .mapHandle((_ctx, username) => (username === "bob" ? "bob" : null))
  .setKeyPairsDispatcher((_ctx, identifier) =>
    identifier === "bob" ? [keyPairs.rsa, keyPairs.ed25519] : []
  );

federation.setOutboxDispatcher("/users/{identifier}/outbox", () => ({ items: [] }));
federation.setFollowersDispatcher("/users/{identifier}/followers", () => ({
  items: state.acceptsSent.map((a) => new URL(a.follower)),
}));
federation.setFollowingDispatcher("/users/{identifier}/following", () => ({ items: [] }));

federation
  .setInboxListeners("/users/{identifier}/inbox", "/inbox")
  .on(Follow, async (ctx, follow) => {
    record("Follow", ctx, follow);
    if (follow.id == null || follow.actorId == null || follow.objectId == null) return;
    const parsed = ctx.parseUri(follow.objectId);
    if (parsed?.type !== "actor" || parsed.identifier !== "bob") return;
    const follower = await follow.getActor(ctx);
    if (!isActor(follower)) throw new Error(`cannot fetch follower ${follow.actorId}`);
    const accept = new Accept({
      id: new URL(`${origin}/activities/${crypto.randomUUID()}`),
      actor: follow.objectId,
      object: follow,
    });
    await ctx.sendActivity({ identifier: "bob" }, follower, accept);
    followerActors.set(follower.id.href, follower);
    state.acceptsSent.push({
      follow: follow.id.href,
      follower: follower.id.href,
      accept: accept.id.href,
    });
    notify();
  })
  .on(Accept, (ctx, accept) => record("Accept", ctx, accept))
  .on(Reject, (ctx, reject) => record("Reject", ctx, reject))
  // A Create is recorded with the post it replies to (its embedded object's inReplyTo), if any.
  .on(Create, async (ctx, create) => {
    const object = await create.getObject(ctx).catch(() => null);
    const attachments = [];
    for await (const item of object?.getAttachments?.(ctx) ?? []) {
      attachments.push({ name: item.name?.toString() ?? null, mediaType: item.mediaType ?? null,
                         url: item.url?.href ?? null });
    }
    record("Create", ctx, create, { inReplyTo: object?.replyTargetId?.href ?? null, attachments,
                                    objectType: object?.constructor?.name ?? null });
  })
  // Anything else that reaches bob (Like, Announce, Undo...), recorded by its type.
  .on(Activity, (ctx, activity) => record(activity.constructor.name, ctx, activity))
  .onUnverifiedActivity((_ctx, activity, reason) => {
    state.unverified.push({
      type: activity.constructor.name,
      id: activity.id?.href ?? null,
      actor: activity.actorId?.href ?? null,
      reason: safeJson(reason),
    });
    notify();
    // Returning nothing keeps Fedify's own 401.
  })
  .onError((_ctx, error) => {
    state.inboxErrors.push(String(error?.stack ?? error));
    notify();
  });

function signatureScheme(headers) {
  if (headers.has("signature-input")) return "rfc9421";
  if (headers.has("signature")) return "draft-cavage";
  return null;
}

function record(type, ctx, activity, extra = {}) {
  state.received.push({
    type,
    id: activity.id?.href ?? null,
    actor: activity.actorId?.href ?? null,
    object: activity.objectId?.href ?? null,
    recipient: ctx.recipient ?? null,
    ...extra,
  });
  notify();
}

server.on("request", async (req, res) => {
  try {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
    }
    const hasBody = !["GET", "HEAD"].includes(req.method);
    const request = new Request(new URL(req.url, origin), {
      method: req.method,
      headers,
      body: hasBody ? Buffer.concat(chunks) : undefined,
    });
    const entry = {
      method: req.method,
      url: request.url,
      signature: signatureScheme(headers),
    };
    state.incoming.push(entry);
    const file = req.method === "GET" ? files.get(new URL(request.url).pathname) : undefined;
    if (file) {  // an image of one of bob's posts, as a plain web server would serve it
      entry.status = 200;
      res.writeHead(200, { "content-type": file.mediaType, "content-length": file.bytes.length });
      res.end(file.bytes);
      return;
    }
    const response = await federation.fetch(request, {
      contextData: undefined,
      onNotFound: () => new Response("not found", { status: 404 }),
      onNotAcceptable: () => new Response("not acceptable", { status: 406 }),
    });
    entry.status = response.status;
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  } catch (error) {
    process.stderr.write(`request handling failed: ${error?.stack ?? error}\n`);
    if (!res.headersSent) res.writeHead(500);
    res.end();
  }
});

const ctx = federation.createContext(new URL(origin), undefined);
const bobUri = ctx.getActorUri("bob").href;

// ---------------------------------------------------------------- commands

async function follow({ handle, timeout = 20 }) {
  const result = { cmd: "follow", handle, ok: false };
  const acct = handle.startsWith("acct:") ? handle : `acct:${handle.replace(/^@/, "")}`;
  // 1. WebFinger, exactly as Fedify does it for any fediverse handle.
  const jrd = await ctx.lookupWebFinger(acct);
  result.webfinger = jrd;
  const self = jrd?.links?.find((l) =>
    l.rel === "self" &&
    (l.type === "application/activity+json" ||
      l.type?.startsWith("application/ld+json"))
  );
  if (!self?.href) return { ...result, error: "no rel=self link in WebFinger answer" };
  // 2. The actor, through Fedify's lookupObject (WebFinger again, then a
  //    signed-by-nobody GET of the actor document, JSON-LD processed).
  const actor = await ctx.lookupObject(acct);
  if (!isActor(actor)) return { ...result, error: `lookupObject(${acct}) gave no actor` };
  result.actor = actor.id.href;
  result.actorMatchesWebFinger = actor.id.href === self.href;
  result.inbox = actor.inboxId?.href ?? null;
  result.publicKeyId = (await actor.getPublicKey())?.id?.href ?? null;
  // 3. The Follow, signed by bob (RFC 9421 or draft-cavage: --first-knock).
  const followId = new URL(`${origin}/activities/${crypto.randomUUID()}`);
  const followActivity = new Follow({ id: followId, actor: new URL(bobUri), object: actor.id });
  state.sentFollows.push({ id: followId.href, object: actor.id.href });
  const postsBefore = state.outgoing.length;
  await ctx.sendActivity({ identifier: "bob" }, actor, followActivity, { immediate: true });
  result.follow = followId.href;
  result.deliveries = state.outgoing.slice(postsBefore).filter((e) => e.method === "POST");
  // 4. The answer, which must arrive in bob's inbox with a verified signature.
  const answer = await waitFor(
    () => state.received.find((r) =>
      (r.type === "Accept" || r.type === "Reject") && r.object === followId.href
    ),
    timeout,
  );
  if (answer == null) {
    return { ...result, error: `no Accept/Reject of ${followId.href} within ${timeout}s`, state };
  }
  result.answer = answer;
  result.ok = answer.type === "Accept" && answer.actor === actor.id.href;
  return result;
}

async function waitFollower({ actor, timeout = 20 }) {
  const found = await waitFor(
    () => state.acceptsSent.find((a) => a.follower === actor),
    timeout,
  );
  if (found == null) {
    return { cmd: "wait_follower", ok: false, error: `no Follow from ${actor} within ${timeout}s`, state };
  }
  const follow = state.received.find((r) => r.type === "Follow" && r.id === found.follow);
  return { cmd: "wait_follower", ok: true, follow, accept: found };
}

// ---------------------------------------------------------------- bob posts

function newId(kind) {
  return new URL(`${origin}/${kind}/${crypto.randomUUID()}`);
}

// Send `activity` signed by bob to `recipients` right away; the deliveries it made.
async function deliver(activity, recipients) {
  const before = state.outgoing.length;
  if (recipients.length > 0) {
    await ctx.sendActivity({ identifier: "bob" }, recipients, activity, { immediate: true });
  }
  return state.outgoing.slice(before).filter((e) => e.method === "POST");
}

function noteOf(entry, content, updated) {
  return new Note({
    id: entry.id,
    attribution: new URL(bobUri),
    content,
    url: entry.id,
    published: entry.published,
    updated,
    tos: entry.tos,
    ccs: entry.ccs,
    tags: entry.tags,
    attachments: entry.attachments,
  });
}

async function publish({ audience, content, hashtags = [], to = null, image = null }) {
  const id = newId("notes");
  const followers = ctx.getFollowersUri("bob");
  const tags = hashtags.map((name) =>
    new Hashtag({ name: `#${name}`, href: new URL(`${origin}/tags/${encodeURIComponent(name.toLowerCase())}`) })
  );
  let tos, ccs, recipients;
  if (audience === "public") {
    [tos, ccs, recipients] = [[PUBLIC_COLLECTION], [followers], [...followerActors.values()]];
  } else if (audience === "followers") {
    [tos, ccs, recipients] = [[followers], [], [...followerActors.values()]];
  } else if (audience === "direct") {
    const actor = await ctx.lookupObject(to);
    if (!isActor(actor)) return { cmd: "publish", ok: false, error: `no actor at ${to}` };
    tags.push(new Mention({ href: actor.id, name: `@${actor.preferredUsername}` }));
    [tos, ccs, recipients] = [[actor.id], [], [actor]];
  } else {
    return { cmd: "publish", ok: false, error: `unknown audience ${audience}` };
  }
  const attachments = [];
  if (image) {
    files.set(image.path, { mediaType: image.mediaType, bytes: Buffer.from(image.base64, "base64") });
    attachments.push(new Image({ url: new URL(image.path, origin), mediaType: image.mediaType, name: image.alt ?? null }));
  }
  const entry = { id, audience, tos, ccs, tags, attachments, recipients, published: Temporal.Now.instant() };
  notes.set(id.href, entry);
  const create = new Create({
    id: newId("activities"), actor: new URL(bobUri), object: noteOf(entry, content, null),
    tos, ccs, published: entry.published,
  });
  const deliveries = await deliver(create, recipients);
  state.published.push({ id: id.href, audience, content, deliveries });
  return { cmd: "publish", ok: deliveries.length > 0 && deliveries.every((d) => d.status < 300),
           note: id.href, activity: create.id.href, deliveries };
}

async function update({ note, content }) {
  const entry = notes.get(note);
  if (!entry) return { cmd: "update", ok: false, error: `bob has no note ${note}` };
  const activity = new Update({
    id: newId("activities"), actor: new URL(bobUri), tos: entry.tos, ccs: entry.ccs,
    object: noteOf(entry, content, Temporal.Now.instant()),
  });
  const deliveries = await deliver(activity, entry.recipients);
  return { cmd: "update", ok: deliveries.every((d) => d.status < 300), activity: activity.id.href, deliveries };
}

async function deleteNote({ note }) {
  const entry = notes.get(note);
  if (!entry) return { cmd: "delete", ok: false, error: `bob has no note ${note}` };
  notes.delete(note);
  const activity = new Delete({
    id: newId("activities"), actor: new URL(bobUri), tos: entry.tos, ccs: entry.ccs,
    object: new Tombstone({ id: entry.id }),
  });
  const deliveries = await deliver(activity, entry.recipients);
  return { cmd: "delete", ok: deliveries.every((d) => d.status < 300), activity: activity.id.href, deliveries };
}

async function announce({ object }) {
  const activity = new Announce({
    id: newId("activities"), actor: new URL(bobUri), object: new URL(object),
    tos: [PUBLIC_COLLECTION], ccs: [ctx.getFollowersUri("bob")], published: Temporal.Now.instant(),
  });
  announces.set(activity.id.href, activity);
  const deliveries = await deliver(activity, [...followerActors.values()]);
  return { cmd: "announce", ok: deliveries.length > 0 && deliveries.every((d) => d.status < 300),
           activity: activity.id.href, deliveries };
}

async function like({ object, to }) {
  const author = await ctx.lookupObject(to);
  if (!isActor(author)) return { cmd: "like", ok: false, error: `no actor at ${to}` };
  const activity = new Like({
    id: newId("activities"), actor: new URL(bobUri), object: new URL(object), tos: [author.id],
  });
  const deliveries = await deliver(activity, [author]);
  return { cmd: "like", ok: deliveries.length > 0 && deliveries.every((d) => d.status < 300),
           activity: activity.id.href, deliveries };
}

async function undo({ activity }) {
  const announced = announces.get(activity);
  if (!announced) return { cmd: "undo", ok: false, error: `bob made no Announce ${activity}` };
  announces.delete(activity);
  const undone = new Undo({
    id: newId("activities"), actor: new URL(bobUri), object: announced,
    tos: announced.toIds, ccs: announced.ccIds,
  });
  const deliveries = await deliver(undone, [...followerActors.values()]);
  return { cmd: "undo", ok: deliveries.length > 0 && deliveries.every((d) => d.status < 300),
           activity: undone.id.href, deliveries };
}

emit({
  event: "ready",
  origin,
  actor: bobUri,
  handle: `bob@${new URL(origin).host}`,
  inbox: ctx.getInboxUri("bob").href,
  firstKnock,
});

const lines = readline.createInterface({ input: process.stdin });
let queue = Promise.resolve();
lines.on("line", (line) => {
  queue = queue.then(async () => {
    if (!line.trim()) return;
    let command;
    try {
      command = JSON.parse(line);
    } catch (error) {
      emit({ cmd: null, ok: false, error: `bad command: ${error}` });
      return;
    }
    try {
      if (command.cmd === "follow") emit(await follow(command));
      else if (command.cmd === "wait_follower") emit(await waitFollower(command));
      else if (command.cmd === "publish") emit(await publish(command));
      else if (command.cmd === "update") emit(await update(command));
      else if (command.cmd === "delete") emit(await deleteNote(command));
      else if (command.cmd === "announce") emit(await announce(command));
      else if (command.cmd === "undo") emit(await undo(command));
      else if (command.cmd === "like") emit(await like(command));
      else if (command.cmd === "webfinger") {
        const jrd = await ctx.lookupWebFinger(`acct:${command.handle.replace(/^@/, "")}`);
        emit({ cmd: "webfinger", ok: jrd != null, jrd });
      }
      else if (command.cmd === "state") emit({ cmd: "state", ok: true, state });
      else if (command.cmd === "quit") {
        emit({ cmd: "quit", ok: true });
        server.close();
        server.closeAllConnections();
        process.exit(0);
      } else emit({ cmd: command.cmd, ok: false, error: "unknown command" });
    } catch (error) {
      emit({ cmd: command.cmd, ok: false, error: String(error?.stack ?? error), state });
    }
  });
});
lines.on("close", () => {
  queue.then(() => process.exit(0));
});
