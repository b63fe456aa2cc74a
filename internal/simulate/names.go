package simulate

// The world's vocabulary: people, places, things and words. Everything a
// simulated event says is drawn from these tables, so they are where its
// realism lives.

// The company and its two email domains: its own, and that of a smaller
// firm it acquired, whose people kept their addresses.
const (
	domain         = "meridianlabs.example"
	acquiredDomain = "blockforge.example"
)

// firstNames and lastNames are display names with the ASCII forms that
// make up email addresses.
var firstNames = [][2]string{
	{"Alice", "alice"}, {"Bob", "bob"}, {"Carmen", "carmen"}, {"David", "david"},
	{"Elena", "elena"}, {"Farid", "farid"}, {"Grace", "grace"}, {"Hiroshi", "hiroshi"},
	{"Ingrid", "ingrid"}, {"Jamal", "jamal"}, {"Katarzyna", "katarzyna"}, {"Liam", "liam"},
	{"Mei", "mei"}, {"Nikhil", "nikhil"}, {"Olivia", "olivia"}, {"Pablo", "pablo"},
	{"Quentin", "quentin"}, {"Rosa", "rosa"}, {"Samuel", "samuel"}, {"Tanvi", "tanvi"},
	{"Umar", "umar"}, {"Valentina", "valentina"}, {"William", "william"}, {"Xin", "xin"},
	{"Yasmin", "yasmin"}, {"Zoltán", "zoltan"}, {"Amara", "amara"}, {"Benjamin", "benjamin"},
	{"Chloé", "chloe"}, {"Diego", "diego"}, {"Emeka", "emeka"}, {"Freya", "freya"},
	{"Gabriel", "gabriel"}, {"Hannah", "hannah"}, {"Ivan", "ivan"}, {"Julia", "julia"},
	{"Kenji", "kenji"}, {"Leila", "leila"}, {"Marco", "marco"}, {"Nadia", "nadia"},
	{"Oscar", "oscar"}, {"Priya", "priya"}, {"Rafael", "rafael"}, {"Sofia", "sofia"},
	{"Tomás", "tomas"}, {"Ursula", "ursula"}, {"Victor", "victor"}, {"Wei", "wei"},
	{"Yusuf", "yusuf"}, {"Zara", "zara"}, {"Andrés", "andres"}, {"Björn", "bjorn"},
	{"Clara", "clara"}, {"Dmitri", "dmitri"}, {"Esther", "esther"}, {"Felix", "felix"},
}

var lastNames = [][2]string{
	{"Anderson", "anderson"}, {"Brennan", "brennan"}, {"Chen", "chen"}, {"Dubois", "dubois"},
	{"Eriksson", "eriksson"}, {"Fernández", "fernandez"}, {"Gupta", "gupta"}, {"Hoffmann", "hoffmann"},
	{"Ito", "ito"}, {"Jovanović", "jovanovic"}, {"Kowalski", "kowalski"}, {"Larsen", "larsen"},
	{"Müller", "muller"}, {"Nakamura", "nakamura"}, {"Okafor", "okafor"}, {"Petrov", "petrov"},
	{"Quinn", "quinn"}, {"Rossi", "rossi"}, {"Schmidt", "schmidt"}, {"Tanaka", "tanaka"},
	{"Usman", "usman"}, {"Varga", "varga"}, {"Wright", "wright"}, {"Xu", "xu"},
	{"Yilmaz", "yilmaz"}, {"Zhang", "zhang"}, {"Abara", "abara"}, {"Bianchi", "bianchi"},
	{"Castillo", "castillo"}, {"Dimitriou", "dimitriou"}, {"Evans", "evans"}, {"Fischer", "fischer"},
	{"García", "garcia"}, {"Haddad", "haddad"}, {"Iyer", "iyer"}, {"Jensen", "jensen"},
	{"Kim", "kim"}, {"Lindqvist", "lindqvist"}, {"Moreau", "moreau"}, {"Novak", "novak"},
	{"O'Brien", "obrien"}, {"Park", "park"}, {"Reyes", "reyes"}, {"Silva", "silva"},
	{"Thompson", "thompson"}, {"Vogel", "vogel"}, {"Weber", "weber"}, {"Yamamoto", "yamamoto"},
}

// A place is where members work: a UTC offset (standard time, in
// minutes), the share of members there, and the office's egress addresses
// when the company has an office there.
type place struct {
	city   string
	offset int
	share  float64
	office [2]string
}

var places = []place{
	{"New York", -5 * 60, 0.42, [2]string{"203.0.113.10", "203.0.113.11"}},
	{"Berlin", 1 * 60, 0.28, [2]string{"203.0.113.140", "203.0.113.140"}},
	{"London", 0, 0.08, [2]string{}},
	{"San Francisco", -8 * 60, 0.09, [2]string{}},
	{"Bangalore", 5*60 + 30, 0.07, [2]string{}},
	{"Singapore", 8 * 60, 0.06, [2]string{}},
}

// scheduleOffset is the time zone of the nightly scans (New York's).
const scheduleOffset = -5 * 60

// browsers are the user agents members sign in with.
var browsers = []string{
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_7_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:133.0) Gecko/20100101 Firefox/133.0",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
	"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
	"Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
}

// attackTools are the user agents of credential-stuffing scripts.
var attackTools = []string{
	"python-requests/2.32.3",
	"curl/8.5.0",
	"Go-http-client/1.1",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/109.0.0.0 Safari/537.36",
}

// ciAgent and ciAddress are how the CI integration calls the platform.
const (
	ciAgent       = "meridian-scan-action/3.4.1 (GitHub Actions)"
	syncAgent     = "jira-sync/2.0.7"
	scannerName   = "Analysis engine"
	schedulerName = "Scheduled scans"
	engine        = "2.18.3"
)

var ciAddresses = []string{"198.51.100.201", "198.51.100.202", "198.51.100.217", "198.51.100.230"}

var teamNames = []string{
	"Protocol Security", "Smart Contract Audits", "DeFi Research", "Platform Engineering",
	"Incident Response", "Red Team", "Tooling", "Bridge Security", "Governance Reviews",
	"Formal Verification", "Client Engagements", "Threat Intelligence",
}

// A projectKind names a project and the contracts it is made of.
type projectKind struct {
	name      string
	contracts []string
}

var projectKinds = []projectKind{
	{"Lending Protocol v2", []string{"LendingPool.sol", "InterestRateModel.sol", "Liquidator.sol", "PriceOracle.sol", "CollateralManager.sol", "FlashLoanReceiver.sol"}},
	{"Cross-chain Bridge", []string{"Bridge.sol", "MessageRelayer.sol", "TokenVault.sol", "ValidatorSet.sol", "MerkleVerifier.sol"}},
	{"Governance", []string{"Governor.sol", "Timelock.sol", "VotingToken.sol", "Treasury.sol", "ProposalValidator.sol"}},
	{"DEX Router", []string{"Router.sol", "Pair.sol", "Factory.sol", "LiquidityMath.sol", "FeeCollector.sol"}},
	{"Liquid Staking", []string{"StakingPool.sol", "WithdrawalQueue.sol", "StakedToken.sol", "OracleReport.sol", "NodeOperatorRegistry.sol"}},
	{"Stablecoin Core", []string{"Stablecoin.sol", "Minter.sol", "CollateralVault.sol", "StabilityPool.sol", "PegKeeper.vy"}},
	{"NFT Marketplace", []string{"Marketplace.sol", "Auction.sol", "RoyaltyRegistry.sol", "Collection.sol", "Escrow.sol"}},
	{"Yield Vaults", []string{"Vault.sol", "Strategy.sol", "Harvester.sol", "FeeManager.sol", "Vault.vy"}},
	{"Perpetuals Engine", []string{"PerpMarket.sol", "MarginAccount.sol", "FundingRate.sol", "InsuranceFund.sol", "Liquidations.sol"}},
	{"Token Vesting", []string{"Vesting.sol", "MerkleDistributor.sol", "TokenLock.sol"}},
	{"Account Abstraction Wallet", []string{"SmartAccount.sol", "EntryPoint.sol", "Paymaster.sol", "SessionKeyModule.sol"}},
	{"Oracle Adapter", []string{"OracleAdapter.sol", "ChainlinkFeed.sol", "TWAPOracle.sol"}},
	{"Upgradeable Proxy Suite", []string{"Proxy.sol", "ProxyAdmin.sol", "Implementation.sol", "AccessManager.sol"}},
	{"Options Protocol", []string{"OptionsVault.sol", "Settlement.sol", "Pricing.sol", "Exercise.sol"}},
}

// projectSuffixes tell apart projects of one kind.
var projectSuffixes = []string{"", " (client: Northwind DAO)", " (client: Tessera Finance)", " v3", " (L2)", " (audit Q3)"}

var compilers = []string{"solc 0.8.20", "solc 0.8.24", "solc 0.8.26", "solc 0.8.28", "solc 0.7.6"}

const vyper = "vyper 0.4.0"

// Severities, most severe first.
const (
	critical      = "critical"
	high          = "high"
	medium        = "medium"
	low           = "low"
	informational = "informational"
)

// A flaw is a kind of finding a scan reports.
type flaw struct {
	title, severity string
}

var flaws = []flaw{
	{"Reentrancy in withdraw() allows draining the vault", critical},
	{"Oracle price can be manipulated with a flash loan", critical},
	{"Unprotected initializer lets anyone take ownership", critical},
	{"Arbitrary delegatecall to user-supplied address", critical},
	{"Signature replay across chains (missing chainId)", high},
	{"Missing access control on setFeeRecipient()", high},
	{"Storage collision in upgradeable proxy layout", high},
	{"Unchecked return value of ERC20 transfer()", high},
	{"Liquidation can be front-run to steal the bonus", high},
	{"Share price inflation by the first depositor", high},
	{"Rounding in redeem() favors the caller", medium},
	{"Unbounded loop in distribute() can exceed the block gas limit", medium},
	{"Denial of service through a reverting callback", medium},
	{"Stale oracle answer is not rejected", medium},
	{"Use of tx.origin for authorization", medium},
	{"Timestamp dependence in auction end", medium},
	{"Weak randomness from block.prevrandao", medium},
	{"ERC20 approve race condition", low},
	{"Missing zero-address check in constructor", low},
	{"Centralization risk: owner can pause withdrawals", low},
	{"Precision loss in reward-per-token calculation", low},
	{"Missing event for a critical parameter change", informational},
	{"Floating pragma", informational},
	{"Unused internal function", informational},
	{"Public function could be declared external", informational},
}

// comments are what people write on findings.
var comments = []string{
	"Confirmed on a mainnet fork; PoC is in the linked ticket.",
	"Reproduced with the Foundry test attached. Bumping priority.",
	"This is intended: only the timelock can reach this path.",
	"The fix is in the PR for the next release, please re-review.",
	"Can we get a second pair of eyes on this before we close it?",
	"The client says this contract is out of scope for this engagement.",
	"Duplicate of an earlier finding on the previous version of the contract.",
	"Exploitable only if the oracle is also compromised; lowering impact.",
	"Patched by adding nonReentrant and moving the transfer after the state update.",
	"Scanner flags the modifier but the check happens in _beforeTokenTransfer.",
	"Discussed on the call: the team accepts the risk and documents it.",
	"Verified the fix on the latest upload; scan no longer reports it.",
	"Adding a regression test so this does not come back.",
	"Gas impact of the fix is about 2k per call, acceptable.",
	"Waiting on the client to confirm the deployment parameters.",
	"Same root cause as the rounding issue in the vault; fix both together.",
	"I think severity should be high: funds at risk under normal operation.",
	"Not reachable: the function is behind onlyRole(ADMIN_ROLE).",
	"Looks good to me now, marking ready to close.",
	"Assigning to myself, I wrote this module.",
}

// falsePositiveReasons say why a finding was not a flaw after all.
var falsePositiveReasons = []string{"not reachable", "intended behavior", "out of scope", "duplicate"}

// A setting is an organization setting, the values it takes (the first
// is its value at Start), and the index of the value it is seldom changed
// from once it has it (-1 for none): MFA once required stays required,
// scans once on stay on.
type setting struct {
	key, section, name string
	values             []any
	sticky             int
}

var settingKinds = []setting{
	{"require_mfa", "security", "Security", []any{false, true}, 1},
	{"session_timeout_hours", "security", "Security", []any{12.0, 8.0, 24.0, 4.0}, -1},
	{"ip_allowlist_enabled", "security", "Security", []any{false, true}, -1},
	{"public_report_links", "reports", "Reports", []any{true, false}, 1},
	{"default_project_visibility", "projects", "Projects", []any{"team", "private", "organization"}, -1},
	{"scan_on_upload", "scanning", "Scanning", []any{true, false}, 0},
	{"nightly_scans", "scanning", "Scanning", []any{true, false}, 0},
	{"slack_notifications", "notifications", "Notifications", []any{true, false}, -1},
	{"finding_sla_days_critical", "scanning", "Scanning", []any{7.0, 3.0, 14.0}, -1},
}

// Indexes of settingKinds that the story looks at.
const (
	requireMFA        = 0
	projectVisibility = 4
	scanOnUpload      = 5
	nightlyScans      = 6
)

// keyScopes are the scopes of the API keys members create, by purpose.
var (
	ciScopes    = []string{"contracts:write", "scans:write", "findings:read"}
	syncScopes  = []string{"findings:read", "findings:write"}
	readScopes  = []string{"findings:read", "projects:read"}
	adminScopes = []string{"admin"}
)
