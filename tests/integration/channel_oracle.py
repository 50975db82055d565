"""Channel grouping as docs/channels.md describes it, written independently of
common/event/fs_channel.c: what `channel` the collector gives an event sent
without one.  Tests whose events pass through the collector apply
`grouped()` to what they sent before comparing with the aggregates;
funnel-ingest does not group, so files loaded by it are compared as sent.
"""

from urllib.parse import urlsplit

MEDIUM = {"cpc": "paid_search", "ppc": "paid_search", "paidsearch": "paid_search",
          "email": "email", "social": "social", "social-paid": "social",
          "display": "display", "banner": "display", "cpm": "display",
          "affiliate": "affiliate", "referral": "referral"}
SEARCH = ["google.*", "bing.com", "yahoo.*", "duckduckgo.com", "baidu.com", "yandex.*",
          "ecosia.org", "search.brave.com"]
SOCIAL = ["facebook.com", "instagram.com", "linkedin.com", "lnkd.in", "t.co", "twitter.com",
          "x.com", "reddit.com", "youtube.com", "pinterest.*", "tiktok.com"]
SPACES = " \t\n\r\x0b\x0c\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007" \
         "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"


def _host(url):
    url = url.strip(" \t\n\r")
    scheme_end = url.find("://")
    if scheme_end < 0 or any(c in url[:scheme_end] for c in "/?#"):
        url = "//" + url  # a bare host
    try:
        host = urlsplit(url).netloc
    except ValueError:
        return ""
    host = host.rsplit("@", 1)[-1]
    host = host[:host.index("]") + 1] if host.startswith("[") and "]" in host else host.split(":")[0]
    host = host.rstrip(".").lower()
    if host.startswith("www."):
        host = host[4:]
    return "" if any(c <= " " or c == "\x7f" for c in host) else host


def _matches(host, pattern):
    if pattern.endswith(".*"):
        labels, name = host.split("."), pattern[:-2]
        return any(labels[i] == name and 1 <= len(labels) - i - 1 <= 2 for i in range(len(labels)))
    return host == pattern or host.endswith("." + pattern)


def derive(ev):
    """The derived channel of event dict @ev (as sent), or None."""
    medium = ev.get("medium")
    if isinstance(medium, str) and medium.strip(SPACES).lower() in MEDIUM:
        return MEDIUM[medium.strip(SPACES).lower()]
    props = ev.get("properties") or {}
    ref, url = props.get("referrer"), props.get("url")
    host = _host(ref) if isinstance(ref, str) else ""
    if host and isinstance(url, str) and _host(url) == host:
        host = ""
    if host:
        for p in SEARCH:
            if _matches(host, p):
                return "organic"
        for p in SOCIAL:
            if _matches(host, p):
                return "social"
        return "referral"
    if isinstance(ev.get("type"), str) and ev["type"].strip(SPACES) == "page_view":
        return "direct"
    return None


def grouped(events):
    """Copies of @events with `channel` set as the collector sets it."""
    out = []
    for ev in events:
        ch = ev.get("channel")
        if not isinstance(ev, dict) or (isinstance(ch, str) and ch.strip(SPACES)):
            out.append(ev)
            continue
        if ch is not None and not isinstance(ch, str):
            out.append(ev)  # invalid: the collector rejects it
            continue
        d = derive(ev)
        out.append({**ev, "channel": d} if d else ev)
    return out
