// masto's streaming client (as Elk and Phanpy use it) against our /api/v1/streaming.
// Usage: node stream.mjs <streaming base, ws://host:port> <access token> <stream: user|public|...> [seconds]
// Prints one JSON line per event: {"event": "ready"} once the socket is open, then
// {"event": "update", "stream": [...], "payload": {...}} for each event (masto camel-cases payload keys),
// {"event": "error", "message": "..."} on failure. masto sends the token as the WebSocket subprotocol.
import { createStreamingAPIClient } from "masto";

const [url, accessToken, stream = "user", seconds = "60"] = process.argv.slice(2);
const say = (doc) => process.stdout.write(JSON.stringify(doc) + "\n");
const masto = createStreamingAPIClient({ streamingApiUrl: url, accessToken, retry: 3 });
const stop = setTimeout(() => { masto.close(); process.exit(0); }, Number(seconds) * 1000);

try {
  await masto.prepare();
  say({ event: "ready" });
  const subscription = stream === "public" ? masto.public.subscribe() : masto.user.subscribe();
  for await (const event of subscription) {
    say({ event: event.event, stream: event.stream, payload: event.payload });
  }
} catch (error) {
  say({ event: "error", message: String(error && error.message || error) });
  clearTimeout(stop);
  masto.close();
  process.exit(1);
}
