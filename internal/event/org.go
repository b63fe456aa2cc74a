package event

// MaxOrgSize is the longest organization id.
const MaxOrgSize = 64

// ValidOrg checks an organization id: 1 to MaxOrgSize characters of
// [a-z0-9], with '-', '_' and '.' allowed inside. An org id appears in its
// log's checkpoint origin ("<name>/org/<id>") and in URLs, so it has no
// spaces, no '+' (a note's key separator), no '/' and no upper case, which
// would make two spellings of one org.
func ValidOrg(id string) error {
	if id == "" || len(id) > MaxOrgSize {
		return &Error{Code: CodeInvalidField, Field: "org", Reason: "an org id is 1 to 64 characters"}
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		alnum := c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
		inner := i > 0 && i < len(id)-1 && (c == '-' || c == '_' || c == '.')
		if !alnum && !inner {
			return &Error{Code: CodeInvalidField, Field: "org", Reason: "an org id has only a-z and 0-9, and - _ . inside, not " + quote(id)}
		}
	}
	return nil
}
