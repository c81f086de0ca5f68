// Block and include lists in the shapes other workers' tools keep them, read into Fairfinder's rules and written
// back out. Pure: no DOM, no browser APIs. What each tool stores and how it matches, from its public source (facts,
// not code, carried over):
//
//   [suite]   brandonhellman/mturk-suite (formerly Kadauchi/mturk-suite) @cd3b4ce9f38c7d099fdc6a5bfc9079ca31ecf53f,
//             hit-finder/hit-finder.js (`block-list-export` / `-import`, saveToFileJSON, blockListed, strictCompare,
//             looseCompare) and mturk/block-list-on-mturk.js: `blockList` is an object keyed by the match term,
//             each `{name, match, strict}` (export adds `term`, the key); the include list adds `sound`, `alarm`,
//             `notification`, `pushbullet`. An entry matches a HIT's hit_set_id, requester_id, requester_name or
//             title: `strict` exactly (case-sensitive), otherwise as a case-insensitive substring. The import keeps
//             entries whose `name` and `match` are both non-empty. Files: mts-backup-YYYYMMDD-block-list.json.
//   [scraper] parseHex/hit-scraper @a3a0c08ddeaf1ca5b8ba0dbb9d03a3995d28fab7, src/FileHandler.ts (export/import),
//             src/Core/cross-ref.ts (matching), src/Editor.ts, src/Settings/defaults.ts: hitscraper_settings.json is
//             `{"settings": "<JSON text>", "ignore_list": "a^b^c", "include_list": "d^e"}`; entries are compared,
//             lower-cased with white space collapsed, for equality with the requester name, the title and the
//             HIT group id; with the `wildblocks` setting (on by default) a block entry holding `*` is an anchored
//             glob (`*` any run; `?` and everything else literal). The include list is compared for equality
//             only. The editor's "Clear HIT IDs" drops `^` + 30 word characters: group ids. Its import sets only
//             the keys the file has (older versions set every key that is a string: so ours leaves empty ones out).
//   [engine]  Anveio/mturk-engine @d2654c7e37f5b5665ab7e44d1e0104fdbd5a30b6, src/utils/backup.ts
//             (persistedStateToJsonString), src/config.ts, src/types.d.ts, src/selectors/search.ts: the backup
//             (mturk-engine-backup-<date>.json) is `{"reduxPersist:<key>": <what localforage stored>, …}`; the
//             blocklists are stored by redux-persist 4 through redux-persist-transform-immutable 4.3
//             (rt2zz/redux-persist-transform-immutable @9ca79f3, index.js: transit-immutable-js `toJSON`), so
//             their value is a JSON string holding transit JSON of an Immutable Map: `requesterBlocklist` maps a
//             requester id to `{id, name, dateBlocked}`, `hitBlocklist` a group id to `{groupId, title,
//             requester: {id, name}, dateBlocked}`. Search hides a HIT whose group id or requester id is in them.
//
// Fairfinder's rules match the requester id, the requester name and the title, never a HIT group id: an entry that
// names a group becomes a rule on that group's title (the tools keep it beside the id), and the import says so.
(function (root, factory) {
  const api = factory();
  if (typeof module === "object" && module.exports) module.exports = api;
  else (root.Fairfinder ||= {}).listFormats = api;
})(globalThis, function () {
  "use strict";

  const MAX_PATTERN = 200; // the server's limits (server/filters.py)
  const MAX_NOTE = 500;
  const MAX_RULES = 500;
  const GROUP_ID = /^[A-Z0-9]{30}$/i; // an MTurk hit_set_id (HIT group id)
  const SUITE_INCLUDE_KEYS = ["sound", "alarm", "notification", "pushbullet"];
  const ENGINE_KEYS = { requesters: "reduxPersist:requesterBlocklist", hits: "reduxPersist:hitBlocklist" };

  const FORMATS = Object.freeze({
    fairfinder: "Fairfinder",
    "mturk-suite": "MTurk Suite",
    hitscraper: "HIT Scraper",
    "mturk-engine": "Mturk Engine",
  });

  class FormatError extends Error {
    constructor(message) {
      super(message);
      this.name = "FormatError";
    }
  }

  const plain = (value) => value !== null && typeof value === "object" && !Array.isArray(value);
  const plural = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
  const clip = (text, max) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

  /** Which tool wrote this parsed JSON: "fairfinder", "mturk-suite", "hitscraper", "mturk-engine" or null. */
  function detect(data) {
    if (!plain(data)) return null;
    const keys = Object.keys(data);
    if (("block" in data && Array.isArray(data.block)) || ("include" in data && Array.isArray(data.include))) return "fairfinder";
    if (typeof data.ignore_list === "string" || typeof data.include_list === "string") return "hitscraper";
    if (keys.some((key) => key.startsWith("reduxPersist:"))) return "mturk-engine";
    const values = Object.values(data);
    if (values.length && values.every((v) => plain(v) && typeof v.match === "string" && typeof v.name === "string")) return "mturk-suite";
    return null;
  }

  /** Collects rules and what was changed or left out on the way, in words. */
  function collector(source) {
    const out = { block: [], include: [] };
    const left = new Map(); // reason -> count
    const changed = new Map();
    return {
      add(list, pattern, match, note) {
        const text = String(pattern ?? "").trim();
        if (!text) return this.leave("entries with nothing to match");
        if (text.length > MAX_PATTERN) return this.leave(`entries longer than ${MAX_PATTERN} characters`);
        if (list === "block" && match === "wildcard" && /^[*?]+$/.test(text)) return this.leave('wildcards that would block every task ("*")');
        out[list].push({ pattern: text, match, expires_at: null, note: clip(String(note ?? "").trim(), MAX_NOTE) });
        return true;
      },
      leave(reason) {
        left.set(reason, (left.get(reason) || 0) + 1);
        return false;
      },
      change(reason) {
        changed.set(reason, (changed.get(reason) || 0) + 1);
      },
      result() {
        const notes = [];
        for (const [reason, n] of changed) notes.push(`${plural(n, "entry", "entries")}: ${reason}.`);
        for (const [reason, n] of left) notes.push(`Left out ${plural(n, "entry", "entries")}: ${reason}.`);
        for (const list of ["block", "include"]) {
          if (out[list].length > MAX_RULES) {
            notes.push(`The ${list} list now holds ${out[list].length} rules; a Fairfinder server keeps at most ${MAX_RULES}: `
              + "remove some before saving.");
          }
        }
        return { format: source, label: FORMATS[source], block: out.block, include: out.include, notes };
      },
    };
  }

  // --------------------------------------------------------------------------------------------- MTurk Suite

  function fromMturkSuite(data) {
    const entries = Object.values(data);
    const isInclude = entries.some((e) => SUITE_INCLUDE_KEYS.some((key) => typeof e[key] === "boolean"));
    const list = isInclude ? "include" : "block";
    const c = collector("mturk-suite");
    for (const entry of entries) {
      const name = String(entry.name ?? "").trim();
      const match = String(entry.match ?? "").trim();
      if (!name || !match) {
        c.leave("entries without both a name and a match (MTurk Suite skips them too)");
        continue;
      }
      if (GROUP_ID.test(match)) {
        // A blocked HIT: MTurk Suite names it by its title.
        if (name === match) {
          c.leave("HIT group ids without a title (Fairfinder matches titles, not group ids)");
          continue;
        }
        if (c.add(list, name, "exact", `MTurk Suite: HIT group ${match}`)) c.change("named a HIT group; its title is matched instead");
        continue;
      }
      // strict: exact, case-sensitive there; Fairfinder's exact match ignores case. Otherwise a case-insensitive substring.
      c.add(list, match, entry.strict === false ? "substring" : "exact", name !== match ? `MTurk Suite: ${name}` : "MTurk Suite");
    }
    const result = c.result();
    result.list = list;
    result.lists = [list];
    return result;
  }

  /**
   * One of the lists as MTurk Suite's own file: {match: {name, match, strict}} (include entries with its alert
   * switches as its import defaults them). Wildcards have no MTurk Suite form and are left out; expiry dates too.
   */
  function toMturkSuite(rules, { list = "block" } = {}) {
    const out = {};
    const notes = [];
    let wildcards = 0;
    let dated = 0;
    for (const rule of rules || []) {
      if (rule.match === "wildcard") {
        wildcards += 1;
        continue;
      }
      if (rule.expires_at) dated += 1;
      const item = { name: String(rule.note || "").trim() || rule.pattern, match: rule.pattern, strict: rule.match !== "substring" };
      if (list === "include") Object.assign(item, { sound: true, alarm: false, pushbullet: false, notification: true });
      out[rule.pattern] = item;
    }
    if (wildcards) notes.push(`Left out ${plural(wildcards, "wildcard rule")}: MTurk Suite has no wildcards.`);
    if (dated) notes.push(`${plural(dated, "rule")} lost ${dated === 1 ? "its" : "their"} expiry date: MTurk Suite keeps none.`);
    return { text: `${JSON.stringify(out)}\n`, count: Object.keys(out).length, notes };
  }

  // --------------------------------------------------------------------------------------------- HIT Scraper

  function fromHitScraper(data) {
    const c = collector("hitscraper");
    let wildcards = true; // HIT Scraper's default
    if (typeof data.settings === "string" && data.settings.trim()) {
      try {
        const settings = JSON.parse(data.settings);
        if (plain(settings) && settings.wildblocks === false) wildcards = false;
      } catch {
        // Settings we cannot read say nothing about the lists.
      }
    }
    const entries = (text) => String(text ?? "").split("^").map((e) => e.replace(/\s+/g, " ").trim()).filter(Boolean);
    for (const entry of entries(data.ignore_list)) {
      if (GROUP_ID.test(entry)) {
        c.leave("HIT group ids (HIT Scraper keeps no title beside them; Fairfinder matches titles, not group ids)");
        continue;
      }
      c.add("block", entry, wildcards && entry.includes("*") ? "wildcard" : "exact", "HIT Scraper");
    }
    for (const entry of entries(data.include_list)) {
      if (GROUP_ID.test(entry)) {
        c.leave("HIT group ids (HIT Scraper keeps no title beside them; Fairfinder matches titles, not group ids)");
        continue;
      }
      c.add("include", entry, "exact", "HIT Scraper");
    }
    const result = c.result();
    result.lists = ["block", "include"].filter((list) => typeof data[list === "block" ? "ignore_list" : "include_list"] === "string");
    return result;
  }

  /**
   * Both lists as HIT Scraper's settings file. Only keys with entries are written: an older HIT Scraper sets
   * every key the file has, so an empty one would empty that list there. Contains-rules become `*text*` and
   * wildcard rules stay (HIT Scraper's "Allow Wildcards", on by default, reads them), except those holding `?`,
   * which HIT Scraper reads literally; its include list matches whole names only.
   */
  function toHitScraper(lists) {
    const notes = [];
    const left = new Map();
    const leave = (reason) => left.set(reason, (left.get(reason) || 0) + 1);
    const block = [];
    for (const rule of lists.block || []) {
      const pattern = String(rule.pattern).replace(/\s+/g, " ").trim();
      if (pattern.includes("^")) { leave('rules holding "^" (HIT Scraper\'s separator)'); continue; }
      if (rule.match === "wildcard" && pattern.includes("?")) { leave('wildcard rules with "?" (HIT Scraper reads it literally)'); continue; }
      block.push(rule.match === "substring" ? `*${pattern}*` : pattern);
    }
    const include = [];
    for (const rule of lists.include || []) {
      const pattern = String(rule.pattern).replace(/\s+/g, " ").trim();
      if (pattern.includes("^")) { leave('rules holding "^" (HIT Scraper\'s separator)'); continue; }
      if (rule.match !== "exact") { leave("include rules that are not exact (HIT Scraper's include list matches whole names)"); continue; }
      include.push(pattern);
    }
    const out = {};
    if (block.length) out.ignore_list = block.join("^");
    if (include.length) out.include_list = include.join("^");
    for (const [reason, n] of left) notes.push(`Left out ${plural(n, "rule")}: ${reason}.`);
    const dated = [...(lists.block || []), ...(lists.include || [])].filter((r) => r.expires_at).length;
    if (dated) notes.push(`${plural(dated, "rule")} lost ${dated === 1 ? "its" : "their"} expiry date: HIT Scraper keeps none.`);
    if ((lists.block || []).some((r) => r.match !== "exact")) {
      notes.push('Contains and wildcard rules need HIT Scraper\'s "Allow Wildcards" setting (on by default).');
    }
    return { text: `${JSON.stringify(out)}\n`, count: block.length + include.length, notes };
  }

  // --------------------------------------------------------------------------------------------- Mturk Engine

  /**
   * Transit JSON (the transit format's "json" encoding, as transit-js writes it) → plain values: maps as
   * arrays [k, v, …] for Immutable maps, objects for transit maps, Date for "~m" times. Only what the backups
   * hold is read; other tags give their representation.
   */
  function readTransit(json) {
    const cache = [];
    const CODE_DIGITS = 44;
    const codeOf = (text) => {
      if (text.length === 2) return text.charCodeAt(1) - 48;
      return (text.charCodeAt(1) - 48) * CODE_DIGITS + (text.charCodeAt(2) - 48);
    };
    const isCode = (text) => text[0] === "^" && text !== "^ " && text.length <= 3;
    const remember = (value) => {
      if (cache.length >= CODE_DIGITS * CODE_DIGITS) cache.length = 0;
      cache.push(value);
    };
    function string(text, asKey) {
      if (isCode(text)) {
        const index = codeOf(text);
        if (index < 0 || index >= cache.length) throw new FormatError("The backup's data refers to something it does not hold.");
        return cache[index];
      }
      const cacheable = text.length > 3 && (asKey || (text[0] === "~" && "#$:".includes(text[1])));
      let value = text;
      if (text[0] === "~") {
        const tag = text[1];
        const rest = text.slice(2);
        if (tag === "~" || tag === "^" || tag === "`") value = text.slice(1);
        else if (tag === "#") value = { tag: rest };
        else if (tag === "m") value = new Date(Number(rest));
        else if (tag === "t") value = new Date(rest);
        else if (tag === "i" || tag === "n" || tag === "d" || tag === "f") value = Number(rest);
        else if (tag === "_") value = null;
        else if (tag === "?") value = rest === "t";
        else value = rest; // keywords, symbols, uuids, uris: their text
      }
      if (cacheable) remember(value);
      return value;
    }
    function read(node, asKey = false) {
      if (typeof node === "string") return string(node, asKey);
      if (Array.isArray(node)) {
        if (node[0] === "^ ") {
          const out = {};
          for (let i = 1; i + 1 < node.length; i += 2) {
            const key = read(node[i], true);
            out[String(key instanceof Date ? key.toISOString() : key)] = read(node[i + 1]);
          }
          return out;
        }
        if (node.length === 2 && typeof node[0] === "string") {
          const head = read(node[0]);
          if (head && typeof head === "object" && typeof head.tag === "string") return { tag: head.tag, rep: read(node[1]) };
          return [head, read(node[1])];
        }
        return node.map((item) => read(item));
      }
      if (plain(node)) {
        const out = {};
        for (const [key, value] of Object.entries(node)) out[String(read(key, true))] = read(value);
        return out;
      }
      return node;
    }
    return read(json);
  }

  /** A decoded Immutable Map (tag "iM" / "iOM": rep [k, v, …]) → [[key, value], …]. */
  function entriesOf(decoded) {
    if (decoded && decoded.tag && Array.isArray(decoded.rep) && /^(iM|iOM|cmap|map)$/.test(decoded.tag)) {
      const pairs = [];
      for (let i = 0; i + 1 < decoded.rep.length; i += 2) pairs.push([decoded.rep[i], decoded.rep[i + 1]]);
      return pairs;
    }
    if (plain(decoded)) return Object.entries(decoded);
    throw new FormatError("The Mturk Engine blocklist in this backup is not in a shape Fairfinder can read.");
  }

  function engineValue(stored) {
    let value = stored;
    if (typeof value === "string") {
      try {
        value = JSON.parse(value);
      } catch {
        throw new FormatError("The Mturk Engine blocklist in this backup is not JSON.");
      }
    }
    return entriesOf(readTransit(value));
  }

  const dayOf = (value) => (value instanceof Date && !Number.isNaN(value.getTime()) ? value.toISOString().slice(0, 10) : null);

  function fromMturkEngine(data) {
    const c = collector("mturk-engine");
    if (!(ENGINE_KEYS.requesters in data) && !(ENGINE_KEYS.hits in data)) {
      throw new FormatError("This Mturk Engine backup holds no blocklist (it was saved without \"Blocked Requesters\" and \"Blocked HITs\").");
    }
    if (data[ENGINE_KEYS.requesters] != null) {
      for (const [id, entry] of engineValue(data[ENGINE_KEYS.requesters])) {
        const name = String(entry?.name ?? "").trim();
        const day = dayOf(entry?.dateBlocked);
        c.add("block", String(entry?.id ?? id), "exact", `Mturk Engine${name ? `: ${name}` : ""}${day ? `, blocked ${day}` : ""}`);
      }
    }
    if (data[ENGINE_KEYS.hits] != null) {
      for (const [groupId, entry] of engineValue(data[ENGINE_KEYS.hits])) {
        const title = String(entry?.title ?? "").trim();
        if (!title) {
          c.leave("blocked HITs without a title (Fairfinder matches titles, not group ids)");
          continue;
        }
        const who = String(entry?.requester?.name ?? "").trim();
        if (c.add("block", title, "exact", `Mturk Engine: HIT group ${entry?.groupId ?? groupId}${who ? ` by ${who}` : ""}`)) {
          c.change("blocked a HIT group; its title is matched instead");
        }
      }
    }
    const result = c.result();
    result.lists = ["block"];
    return result;
  }

  // --------------------------------------------------------------------------------------------- reading a file

  /**
   * A list file of another tool, parsed → {format, label, block, include, notes, lists (the lists the file
   * carries), list? (MTurk Suite: which one)}; null for Fairfinder's own
   * files (lib/filters-form.js reads those) and for JSON no tool here writes. Throws FormatError for a file of a
   * known tool that cannot be read.
   */
  function readOther(data) {
    switch (detect(data)) {
      case "mturk-suite": return fromMturkSuite(data);
      case "hitscraper": return fromHitScraper(data);
      case "mturk-engine": return fromMturkEngine(data);
      default: return null;
    }
  }

  /** The export file's name in each tool's own naming; `now` (ms) is injected. */
  function fileName(format, now, { list = "block" } = {}) {
    const day = new Date(now);
    const stamp = `${day.getFullYear()}${String(day.getMonth() + 1).padStart(2, "0")}${String(day.getDate()).padStart(2, "0")}`;
    if (format === "mturk-suite") return `mts-backup-${stamp}-${list}-list.json`;
    if (format === "hitscraper") return "hitscraper_settings.json";
    return "fairfinder-lists.json";
  }

  return {
    FORMATS,
    FormatError,
    detect,
    readOther,
    fromMturkSuite,
    fromHitScraper,
    fromMturkEngine,
    readTransit,
    toMturkSuite,
    toHitScraper,
    fileName,
    MAX_RULES,
  };
});
