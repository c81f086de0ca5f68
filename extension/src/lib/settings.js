// Settings and filters as stored in chrome.storage.local, with their defaults.
// Pure: no browser APIs here (see store.js for reading and writing them).
(function (root, factory) {
  const api = factory();
  if (typeof module === "object" && module.exports) module.exports = api;
  else (root.Fairfinder ||= {}).settings = api;
})(globalThis, function () {
  "use strict";

  // The community's server. Self-hosters change it in the options page.
  const DEFAULT_SERVER_URL = "https://fairfinder.org";
  // US federal minimum wage, as the server's own default target.
  const DEFAULT_TARGET_CENTS_PER_HOUR = 725;

  const DEFAULT_SETTINGS = Object.freeze({
    serverUrl: DEFAULT_SERVER_URL,
    token: null, // the worker's ff_… token; null when not signed in
    handle: null, // the worker's pseudonym, shown in the options page
    timingEnabled: false, // automatic timing is opt-in
    onboarded: false, // the first-run explanation has been shown
    prolificImport: false, // send the Prolific submissions the worker opens to their history (opt-in)
    blockOffUntil: null, // ISO time: the block list is switched off in this browser until then
  });

  // How long the worker may switch the block list off: [minutes, words]. The options page offers these.
  const BLOCK_OFF_CHOICES = Object.freeze([
    [60, "for 1 hour"],
    [4 * 60, "for 4 hours"],
    [24 * 60, "for 1 day"],
    [7 * 24 * 60, "for 1 week"],
  ]);

  // The server's `Filters` wire format with its defaults.
  const DEFAULT_FILTERS = Object.freeze({
    target_cents_per_hour: DEFAULT_TARGET_CENTS_PER_HOUR,
    min_hourly_cents: null,
    min_reward_cents: null,
    max_minutes: null,
    block: [],
    include: [],
    keywords_include: [],
    keywords_exclude: [],
    qualified_only: false,
    hide_masters: false,
    hide_below_target: false,
    hide_unknown_pay: false,
    hide_needs: [],
    // How much ratings imported from other communities (other Fairfinder servers, Turkopticon) count
    // beside this community's own: 1 fully, 0 not at all. `source_weights` overrides it per source name.
    other_communities_weight: 1,
    source_weights: {},
  });

  function withDefaults(stored, defaults) {
    const out = { ...defaults };
    if (stored && typeof stored === "object") {
      for (const key of Object.keys(defaults)) {
        if (stored[key] !== undefined) out[key] = stored[key];
      }
    }
    return out;
  }

  /**
   * Stored filters completed with the defaults. Unlike withDefaults, keys this version does not know
   * are kept: they are the server's (a newer server's fields), and PUT /me/filters replaces the whole
   * set, so dropping them here would delete them from the account on the next save.
   */
  function filtersWithDefaults(stored) {
    const out = withDefaults(stored, DEFAULT_FILTERS);
    if (stored && typeof stored === "object" && !Array.isArray(stored)) {
      for (const [key, value] of Object.entries(stored)) {
        if (!(key in out) && value !== undefined) out[key] = value;
      }
    }
    return out;
  }

  /** The time (ms) the block list is off until, when that is later than `now` (ms); else null. */
  function blockOffUntil(settings, now) {
    const until = Date.parse(settings?.blockOffUntil ?? "");
    return Number.isFinite(until) && until > now ? until : null;
  }

  /** `blockOffUntil` for switching the block list off `minutes` from `now` (ms), as stored. */
  function blockOffFor(minutes, now) {
    return new Date(now + minutes * 60_000).toISOString();
  }

  /**
   * The filters the server is asked to apply: the stored ones, with no block rules while the worker has switched
   * the block list off. The stored rules stay as they are, here and in the account.
   */
  function effectiveFilters(filters, settings, now) {
    return blockOffUntil(settings, now) === null ? filters : { ...filters, block: [] };
  }

  /**
   * A server address as the worker typed it, made canonical: scheme and host, optional port and path
   * prefix, no trailing slash. Throws an Error with a message for people when it is not usable.
   */
  function normalizeServerUrl(text) {
    const trimmed = String(text ?? "").trim();
    if (!trimmed) throw new Error("Enter the address of a Fairfinder server.");
    let url;
    try {
      url = new URL(trimmed);
    } catch {
      throw new Error(`"${trimmed}" is not a web address (it should start with https://).`);
    }
    const local = url.hostname === "127.0.0.1" || url.hostname === "localhost";
    if (url.protocol !== "https:" && !(url.protocol === "http:" && local)) {
      throw new Error("Use an https:// address (plain http:// only for a server on this computer).");
    }
    if (url.username || url.password) throw new Error("Leave user names and passwords out of the address.");
    if (url.search || url.hash) throw new Error("Leave ?… and #… out of the address.");
    return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
  }

  /** The host-permission pattern a server address needs, e.g. "https://ratings.example.org/*". */
  function originPattern(serverUrl) {
    const url = new URL(serverUrl);
    return `${url.protocol}//${url.hostname}/*`;
  }

  return {
    DEFAULT_SERVER_URL,
    DEFAULT_TARGET_CENTS_PER_HOUR,
    DEFAULT_SETTINGS,
    DEFAULT_FILTERS,
    BLOCK_OFF_CHOICES,
    withDefaults,
    filtersWithDefaults,
    blockOffUntil,
    blockOffFor,
    effectiveFilters,
    normalizeServerUrl,
    originPattern,
  };
});
