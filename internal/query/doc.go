// Package query parses Stele's search language into a [Query]: the one
// syntax tree that the API, the CLI, the web page and alert rules share, and
// that each store backend compiles to parameterized SQL.
//
// # The language
//
// A query is a list of terms separated by white space. A record matches the
// query when it matches every term; the empty query matches every record.
//
//	actor:bob@example.com event:finding.assigned
//	event:*.deleted -event:auth.* timestamp:>-24h
//	target:"Vault v2.sol" details.new_status:fixed,wontfix
//	ip:192.168.0.0/16 actor_type:api_key
//	"rate limit" -actor:*@example.com
//
// A term is a qualifier and a list of values (actor:a@x.com,b@x.com), or a
// list of values alone, which is free text. A term matches a record when any
// of its values does; an empty or absent field matches no value, so
// target:* matches the records that have a target. A leading "-" negates a
// term: it then matches exactly the records the term without it does not,
// those lacking the field included (so -ip:10.0.0.0/8 matches records
// without an IP address, and backends must not let SQL's NULL drop them).
//
// # Grammar
//
// In EBNF, over Unicode characters. space is one or more white space
// characters (unicode.IsSpace); control characters are allowed nowhere else.
//
//	query     = [ space ] [ term { space term } [ space ] ] .
//	term      = [ "-" ] [ qualifier ":" ] values .
//	qualifier = "actor" | "event" | "action" | "target" | "category" | "ip"
//	          | "actor_type" | "user_agent" | "timestamp" | details .
//	details   = "details" "." key { "." key } .
//	key       = keychar { keychar } .      (keychar: A-Z a-z 0-9 "_" "-")
//	values    = value { "," value } .
//	value     = piece { piece } .
//	piece     = char | escape | "*" | `"` { qchar | escape | "*" } `"` .
//	escape    = `\"` | `\\` | `\*` .
//	char      = any character but white space, ",", `"`, `\` and "*";
//	            ":" only in a term with a qualifier.
//	qchar     = any character but `"`, `\` and "*".
//
// Qualifier names are case-insensitive, details keys are not (they are keys
// of the JSON object). "action" is another name for "event". The first
// unquoted ":" of a term ends its qualifier: further colons belong to the
// value (ip:2001:db8::1), and a word of free text holding a colon must be
// quoted ("http://example.com"), as must one starting with "-".
//
// An unescaped "*", quoted or not, matches any run of characters, the empty
// one included; \* is a literal star. Quotes only group: "a b"c is the value
// "a bc". A value may not be empty.
//
// # Qualifiers
//
//	qualifier          matches                                   values
//	actor:             the actor's email, id or name              case-insensitive
//	event: action:     the event type, as in finding.assigned     case-insensitive; a-z 0-9 _ .
//	target:            the target's id or name                    case-sensitive
//	category:          the event's category, as in auth           case-insensitive; a-z 0-9 _
//	ip:                the client's IP address                    an address or a CIDR; no *
//	actor_type:        the actor's type                           user, api_key or system; no *
//	user_agent:        the client's user agent                    case-sensitive
//	timestamp:         the event's time                           one range (below); no * and no list
//	details.<path>:    a member of the details object             case-sensitive
//	(none)             the actor, target or details contain it    case-insensitive
//
// An ip: term matches the addresses within its CIDRs as net/netip does: an
// IPv4 CIDR does not match an IPv4-mapped IPv6 address (::ffff:10.0.0.1).
//
// A details path names nested members: details.a.b:x matches a record
// whose details are {"a": {"b": "x"}}. A string member matches by its text,
// a number or boolean by its JSON text (details.count:3); objects, arrays
// and null match no value.
//
// Free text matches a record when the actor's email, id or name, the
// target's id or name, or the text of a string, number or boolean anywhere
// in its details contains the value, as if it had a "*" at each end.
//
// Values of the case-insensitive fields are lowercased by Parse (see
// [Field.Folded]); backends compare them with lowercased text.
//
// # Timestamps
//
// A timestamp term takes one range; times are UTC unless they say otherwise.
//
//	range    = ( ">=" | ">" | "<=" | "<" ) instant | instant ".." instant | date | datetime .
//	instant  = date | datetime | relative .
//	date     = YYYY "-" MM "-" DD .      (a whole UTC day)
//	datetime = an RFC 3339 time, as in 2026-01-01T12:00:00Z or 2026-01-01T12:00:00.5+02:00 .
//	relative = "-" digits ( "s" | "m" | "h" | "d" | "w" ) .   (that long before now)
//
// A date stands for its whole day and a datetime for one instant, so
// >2026-01-01 starts on January 2nd, <=2026-01-31 and 2026-01-01..2026-01-31
// include all of January 31st, and timestamp:2026-01-01 is that day. A
// relative time is a moment (>-24h and >=-24h both mean the last 24 hours),
// and needs a comparison or a range: timestamp:-24h alone is an error. A
// range includes its end when that is a date or a datetime, and stops at it
// when it is relative: -7d..-1d runs from 7 days ago to 1 day ago. "m" is
// minutes. Times must lie in the years 1970 to 9999.
//
// Parse turns every timestamp term into a half-open range [Since, Until) of
// absolute times, computing relative ones from the now it is given. Several
// timestamp terms AND together. A negated timestamp term matches the times
// outside its range: -timestamp:2026-01-01 is any day but that one.
//
// # Errors and limits
//
// Parse's errors are an [*Error] naming the 1-based position, in
// characters, of the mistake and what was expected there:
//
//	position 7: expected a value after "actor:"
//	position 1: unknown qualifier "actr:"; did you mean "actor:"?
//
// A query holds at most [MaxLen] bytes of UTF-8, [MaxTerms] terms and
// [MaxValues] values in one list.
//
// # Canonical text
//
// [Query.String] and [Term.String] print a canonical text that Parse turns
// back into the same terms, for filter chips and saved searches: qualifier
// names in lowercase, event: for action:, folded values lowercased, quotes
// and escapes only where needed, single addresses without /32 or /128, and
// timestamps as absolute ranges (timestamp:>-24h prints as
// timestamp:>=2026-11-25T10:30:00Z), so the text means the same with any now.
package query
