/** Record protection: seal and open per AEAD and size, awaited alone and 16 in flight. */
import { webCrypto } from "../crypto/webcrypto.ts";
import type { AeadName } from "../crypto/provider.ts";
import { ContentType, RecordReader } from "../record/framing.ts";
import { Tls13RecordProtection } from "../record/protection13.ts";

const AEADS: Record<AeadName, number> = { "AES-128-GCM": 16, "AES-256-GCM": 32, "ChaCha20-Poly1305": 32 };

for (const [aead, keyLength] of Object.entries(AEADS) as [AeadName, number][]) {
  const key = webCrypto.randomBytes(keyLength);
  const iv = webCrypto.randomBytes(12);
  const writer = new Tls13RecordProtection(await webCrypto.importAead(aead, key), iv);
  for (const size of [64, 1024, 16384]) {
    const content = new Uint8Array(size);
    Deno.bench(`seal ${aead} ${size} B`, { group: `seal ${size}` }, async () => {
      await writer.seal(ContentType.application_data, content);
    });
    Deno.bench(`seal ${aead} ${size} B ×16 in flight`, { group: `seal16 ${size}` }, async () => {
      await Promise.all(Array.from({ length: 16 }, () => writer.seal(ContentType.application_data, content)));
    });
  }
  // open: a fresh pair per batch, so sequence numbers line up.
  const content = new Uint8Array(16384);
  Deno.bench(`open ${aead} 16384 B ×16 (sealed then opened in order)`, { group: "open16" }, async (b) => {
    const w = new Tls13RecordProtection(await webCrypto.importAead(aead, key), iv);
    const r = new Tls13RecordProtection(await webCrypto.importAead(aead, key), iv);
    const sealed = await Promise.all(
      Array.from({ length: 16 }, () => w.seal(ContentType.application_data, content)),
    );
    const reader = new RecordReader();
    for (const s of sealed) reader.push(s);
    const records = sealed.map(() => reader.next()!);
    b.start();
    await Promise.all(records.map((rec) => r.open(rec)));
    b.end();
  });
}
