package drivertest_test

import (
	"fmt"
	"maps"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosk/gosk/driver"
	"github.com/gosk/gosk/drivertest"
)

// The suite is itself tested against drivers that each break one rule of
// the contract, several of them subtly (a lease a tenth too short, a ping
// that extends from the old expiry, a double delivery in 1 of 50
// overlapping claims): each must fail it, in the subtests that own the
// rule, in every one of several runs. Run takes a *testing.T, so each
// broken driver runs the suite in child processes of this test binary
// (TestBrokenDriversFail, chosen by an environment variable) and the
// parent reads which subtests failed.

// brokenEnv names the broken driver a child process runs the suite on.
const brokenEnv = "GOSK_DRIVERTEST_BROKEN"

// unexempted is the child run of a driver that lacks every capability and
// exempts none.
const unexempted = "unexempted-capabilities"

// model is the model-based subtest. It catches most broken drivers, but
// shrinking a failure costs seconds, so only a few quick ones name it.
const model = "Model/RandomOperationsMatchReferenceModel"

// brokenDriver is one entry of brokenDrivers.
type brokenDriver struct {
	// rule is the rule of the contract the driver breaks.
	rule string
	// caught lists the subtests that must catch it: each must fail in
	// every run. An entry without any is a known gap: no subtest catches
	// it yet. TestBrokenDriversFail does not run it but lists it, and
	// GOSK_DRIVERTEST_BROKEN=<name> go test -run TestBrokenDriversFail
	// runs the suite on it by hand.
	caught []string
	// only limits the child to these subtests (a -test.run pattern under
	// TestBrokenDriversFail, one group or a few): the groups that own the
	// rule, so that the whole table stays quick.
	only string
}

// brokenDrivers maps each broken driver (see brokendrivers_test.go) to the
// rule it breaks and the subtests that must catch it.
var brokenDrivers = withSurvey(map[string]brokenDriver{
	// Payloads.
	"large-payload-dropped-once-final": {
		rule: "a payload of any size reads back whole while its task is final",
		caught: []string{
			"Payload/EverySizeSurvivesTheLifecycle",
		},
		only: "^Payload$",
	},
	// Fencing and the lifecycle.
	"finish-ignores-lease-token": {
		rule: "Finish is fenced by the lease token",
		caught: []string{
			"Fencing/StaleLeaseAfterReclaim",
			"Fencing/WrongTokenChangesNothing",
			"Refused/AfterReclaimChangesNothing",
			"Alignment/FinishMixedResults",
		},
		only: "^(Fencing|Refused|Alignment)$",
	},
	"lease-tokens-count-down": {
		rule: "each new lease token of a task is greater than every earlier one",
		caught: []string{
			"Fencing/TokensOnlyGoUp",
			"Fencing/TokensGoUpAcrossCancelAndRetry",
		},
		only: "^Fencing$",
	},
	"claim-hands-out-leased-task": {
		rule: "two claims never return the same task while its lease holds",
		caught: []string{
			"Claim/ConcurrentClaimersNeverShareLiveLease",
			"Claim/ClaimRoundsHandOutEachTaskOnce",
			"Claim/LeasesTaskAndCountsAttempt",
		},
		only: "^Claim$",
	},
	"rare-double-delivery": {
		rule: "two claims never return the same task while its lease holds (broken in 1 of 50 overlapping claims)",
		caught: []string{
			"Claim/ClaimRoundsHandOutEachTaskOnce",
		},
		only: "^Claim$",
	},
	"ping-revives-final-task": {
		rule: "a late ping never revives a finalised task",
		caught: []string{
			"Fencing/LatePingDoesNotReviveFinalTask",
			"Fencing/StaleLeaseAfterFinalise",
			"Refused/AfterFinaliseChangesNothing",
		},
		only: "^(Fencing|Refused)$",
	},
	"outside-cancel-keeps-token": {
		rule: "an outside cancel takes the lease: a later outcome by it is ErrLeaseLost, not ErrTaskConflict",
		caught: []string{
			"Fencing/StaleLeaseAfterOutsideCancel",
			"Fencing/StaleLeaseAfterReleaseAndOutsideCancel",
			"Refused/AfterOutsideCancelChangesNothing",
		},
		only: "^(Fencing|Refused)$",
	},
	"outcome-after-release-lease-lost": {
		rule: "an outcome by a lease that already released its task is ErrTaskConflict",
		caught: []string{
			"Fencing/RepeatedOutcomeOfOneLeaseIsConflict",
			"Fencing/StaleLeaseAfterRelease",
		},
		only: "^Fencing$",
	},
	"ping-after-release-conflict": {
		rule: "a ping by a lease that already released its task is ErrLeaseLost",
		caught: []string{
			"Fencing/StaleLeaseAfterRelease",
		},
		only: "^Fencing$",
	},
	"stale-ping-extends-holder": {
		rule: "a refused ping changes nothing: a stale lease's ping does not extend the new holder's lease",
		caught: []string{
			"Fencing/WrongTokenChangesNothing",
			"Refused/AfterReclaimChangesNothing",
			"Alignment/PingMixedResults",
		},
		only: "^(Fencing|Refused|Alignment)$",
	},
	"refused-finish-writes-message": {
		rule: "a refused outcome changes nothing: its message is not stored",
		caught: []string{
			"Refused/AfterReclaimChangesNothing",
			"Refused/AfterReleaseChangesNothing",
			"Refused/AfterFinaliseChangesNothing",
			"Refused/AfterOutsideCancelChangesNothing",
			"Refused/AfterLastAttemptLapseChangesNothing",
		},
		only: "^Refused$",
	},
	"empty-message-clears-last-error": {
		rule: "an outcome with an empty message keeps the last error",
		caught: []string{
			"Finish/EmptyMessageKeepsLastError",
		},
		only: "^Finish$",
	},

	"lapsed-lease-refused-before-reclaim": {
		rule: "a lease whose time ran out still holds (pings, outcomes) until another claim takes the task",
		caught: []string{
			"Lease/LapsedLeaseHoldsUntilReclaimed/Fifo",
			"Lease/LapsedLeaseHoldsUntilReclaimed/Lifo",
			"Lease/LapsedLeaseHoldsUntilReclaimed/Priority",
			"Lease/PassedOverLapsedLeaseStillHolds",
		},
		only: "^Lease$",
	},
	"lapse-failure-message-wrong": {
		rule: "a task failed for its lapsed last lease has the last error \"lease expired\"",
		caught: []string{
			"Lease/LastAttemptLapseFailsTask/Fifo",
			"Lease/LastAttemptLapseFailsTask/Lifo",
			"Lease/LastAttemptLapseFailsTask/Priority",
			"Lease/LastAttemptLapsesAllFailedByAnyClaim",
		},
		only: "^Lease$",
	},
	"message-trimmed": {
		rule: "an outcome's message is stored byte for byte (not trimmed)",
		caught: []string{
			"Text/ValidMessagesRoundTrip",
		},
		only: "^Text$",
	},
	"unique-key-case-folded": {
		rule: "unique keys compare as bytes (not case-folded)",
		caught: []string{
			"Text/UniqueKeysCompareAsBytes",
		},
		only: "^Text$",
	},
	"purge-limit-ignored": {
		rule: "Purge deletes at most its limit",
		caught: []string{
			"Admin/PurgeBoundedByLimit",
			"Admin/PurgeZeroLimitMeansDefault",
		},
		only: "^Admin$",
	},

	// Attempts.
	"keep-attempt-ignored": {
		rule: "a release with KeepAttempt gives the attempt back",
		caught: []string{
			"Attempts/ShutdownReleaseGivesAttemptBack",
			"Release/KeepAttemptWithDelay",
		},
		only: "^(Attempts|Release)$",
	},
	"attempt-not-counted-on-lapse": {
		rule: "a lease that runs out uses its attempt",
		caught: []string{
			"Attempts/LapseUsesAttempt",
			"Lease/ReclaimGivesNewTokenAndCountsAttempt/Fifo",
			"Lease/ReclaimGivesNewTokenAndCountsAttempt/Lifo",
			"Lease/ReclaimGivesNewTokenAndCountsAttempt/Priority",
		},
		only: "^(Attempts|Lease)$",
	},

	// Durations.
	"lease-never-expires": {
		rule: "a task whose lease ran out is claimable again",
		caught: []string{
			"Lease/ExpiryMakesTaskClaimableAgain/Fifo",
			"Lease/ExpiryMakesTaskClaimableAgain/Lifo",
			"Lease/ExpiryMakesTaskClaimableAgain/Priority",
			"Lease/LastAttemptLapseFailsTask/Fifo",
			"Lease/LastAttemptLapseFailsTask/Lifo",
			"Lease/LastAttemptLapseFailsTask/Priority",
			"Lease/PingExtendsLease",
		},
		only: "^Lease$",
	},
	"lease-long-by-a-tenth": {
		rule: "a claim's lease ends at now plus the lease length (not later)",
		caught: []string{
			"Lease/ClaimLeaseEndsAtNowPlusLease",
			"Claim/LeasesTaskAndCountsAttempt",
		},
		only: "^(Lease|Claim)$",
	},
	"lease-short-by-a-tenth": {
		rule: "a claim's lease ends at now plus the lease length (not sooner)",
		caught: []string{
			"Lease/ClaimLeaseEndsAtNowPlusLease",
			model,
		},
		only: "^(Lease|Model)$",
	},
	"ping-extends-from-old-expiry": {
		rule: "a ping extends the lease to now plus the extension, not the old expiry plus it",
		caught: []string{
			"Lease/PingExtendsToNowPlusExtension",
			"Lease/PingShortensToNowPlusExtension",
		},
		only: "^Lease$",
	},
	"ping-extension-short-by-a-tenth": {
		rule: "a ping extends the lease to now plus the extension (not sooner)",
		caught: []string{
			"Lease/PingExtendsToNowPlusExtension",
		},
		only: "^Lease$",
	},
	"delay-short-by-a-tenth": {
		rule: "a delayed task is not claimable before its run-at, now plus the delay",
		caught: []string{
			"RunAt/RunAtIsNowPlusDelay",
			"RunAt/DelayedTaskClaimableOnceRunAtComes",
		},
		only: "^RunAt$",
	},
	"release-delay-from-creation": {
		rule: "a release delay counts from the release, not from the task's creation",
		caught: []string{
			"Release/DelayCountsFromRelease",
		},
		only: "^Release$",
	},
	"release-delay-from-old-run-at": {
		rule: "a release delay counts from the release, not from the task's old run-at",
		caught: []string{
			"Release/DelayCountsFromRelease",
		},
		only: "^Release$",
	},
	"keep-attempt-drops-delay": {
		rule: "a release with KeepAttempt and a delay keeps the delay",
		caught: []string{
			"Release/KeepAttemptWithDelay",
		},
		only: "^Release$",
	},

	// Order, and lease rules under each priority rule.
	"fifo-claims-newest": {
		rule: "Fifo hands out the oldest task first",
		caught: []string{
			"Order/FifoOldestFirst",
			"Order/BatchClaimReturnsRuleOrder",
			"RunAt/FifoOrdersByRunAt",
			"Lease/LapsedLeaseTakesItsPlaceInFifoOrder",
			model,
		},
		only: "^(Order|RunAt|Lease|Model)$",
	},
	"lifo-never-reclaims-lapsed": {
		rule: "a lapsed lease is claimable again under Lifo too",
		caught: []string{
			"Lease/ExpiryMakesTaskClaimableAgain/Lifo",
			"Lease/LapsedLeaseTakesItsPlaceInLifoOrder",
			"Lease/LastAttemptLapseFailsTask/Lifo",
		},
		only: "^Lease$",
	},
	"priority-last-attempt-lapse-not-failed": {
		rule: "a lapse on the last attempt fails the task under Priority too",
		caught: []string{
			"Lease/LastAttemptLapseFailsTask/Priority",
			"Lease/LastAttemptLapseFreesKeyAndClaimGoesOn/Priority",
		},
		only: "^Lease$",
	},
	"lapsed-leases-first": {
		rule: "a lapsed lease takes its place in claim order by the rule, not ahead of every pending task",
		caught: []string{
			"Lease/LapsedLeaseTakesItsPlaceInFifoOrder",
			"Lease/LapsedLeaseTakesItsPlaceInLifoOrder",
			"Lease/LapsedLeaseTakesItsPlaceInPriorityOrder",
		},
		only: "^Lease$",
	},

	// Unique keys.
	"duplicate-unique-key-accepted": {
		rule: "a unique key held by a pending or running task makes a duplicate",
		caught: []string{
			"Unique/DuplicateReturnsExistingID",
			"Unique/DuplicateWithinOneBatch",
			"Unique/ConcurrentCreatesStoreOne",
		},
		only: "^Unique$",
	},
	"key-freed-on-release": {
		rule: "a unique key is held through a release",
		caught: []string{
			"Unique/KeyHeldThroughRelease",
		},
		only: "^Unique$",
	},
	"key-freed-on-snooze": {
		rule: "a unique key is held through a release with KeepAttempt (a snooze)",
		caught: []string{
			"Unique/KeyHeldThroughSnooze",
		},
		only: "^Unique$",
	},
	"key-freed-on-lapse": {
		rule: "a unique key is held while the task's lease has lapsed",
		caught: []string{
			"Unique/KeyHeldThroughLapseAndReclaim",
			"Unique/KeyFreedOnlyWhenFinal",
		},
		only: "^Unique$",
	},
	"key-freed-on-reclaim": {
		rule: "a unique key is held after a reclaim of a lapsed lease",
		caught: []string{
			"Unique/KeyHeldThroughLapseAndReclaim",
		},
		only: "^Unique$",
	},
	"key-kept-when-final": {
		rule: "a unique key is freed once its task is final",
		caught: []string{
			"Unique/KeyFreedOnlyWhenFinal",
			"Unique/KeyHeldWhileRunningFreedWhenFinal",
			"Admin/CancelFreesUniqueKey",
			"Lease/LastAttemptLapseFreesKeyAndClaimGoesOn/Fifo",
		},
		only: "^(Unique|Admin|Lease)$",
	},
	"cancel-keeps-unique-key": {
		rule: "Admin.Cancel frees the unique key",
		caught: []string{
			"Admin/CancelFreesUniqueKey",
		},
		only: "^Admin$",
	},
	"tx-repeated-key-dropped": {
		rule: "in a transaction, a key taken earlier in the same transaction is ErrDuplicate (nothing is dropped at commit)",
		caught: []string{
			"Tx/KeyTakenEarlierInSameTxIsDuplicate",
			"Tx/NothingDroppedAtCommit",
			model,
		},
		only: "^(Tx|Model)$",
	},

	// Batches and input.
	"finish-results-reversed": {
		rule: "Finish's results line up with its outcomes",
		caught: []string{
			"Alignment/FinishMixedResults",
			"InputOrder/FinishTakesOutcomesInAnyOrder",
			"Refused/RefusedItemsInMixedBatchChangeNothing",
		},
		only: "^(Alignment|InputOrder|Refused)$",
	},
	"ping-results-rotated": {
		rule: "Ping's results line up with its leases",
		caught: []string{
			"Alignment/PingMixedResults",
			"Finish/PingBatchResultsLineUpWithInput",
			"InputOrder/PingTakesLeasesInAnyOrder",
		},
		only: "^(Alignment|Finish|InputOrder)$",
	},
	"create-errors-shifted": {
		rule: "Create's results line up with its tasks",
		caught: []string{
			"Alignment/CreateDuplicatesAtAsymmetricPositions",
			"Unique/DuplicateWithinOneBatch",
		},
		only: "^(Alignment|Unique)$",
	},
	"cancel-results-reversed": {
		rule: "Admin.Cancel's results line up with its IDs",
		caught: []string{
			"Admin/CancelPendingAndRunningRefusesFinal",
			"Alignment/CancelMixedResults",
		},
		only: "^(Admin|Alignment)$",
	},
	"create-not-atomic": {
		rule: "an invalid batch stores nothing",
		caught: []string{
			"Input/InvalidBatchStoresNothing",
			"Text/InvalidUniqueKeyRefusesTheWholeBatch",
		},
		only: "^(Input|Text)$",
	},
	"message-nul-accepted": {
		rule: "a message with NUL or invalid UTF-8 is ErrInvalid",
		caught: []string{
			"Text/InvalidMessageRefusesTheWholeBatch",
		},
		only: "^Text$",
	},
	"unique-key-nul-accepted": {
		rule: "a unique key with NUL is ErrInvalid",
		caught: []string{
			"Text/InvalidUniqueKeyRefusesTheWholeBatch",
		},
		only: "^Text$",
	},

	"input-before-closed": {
		rule: "a closed driver returns ErrClosed whatever the input (it checks that it is open before its input)",
		caught: []string{
			"Closed/ClosedBeforeInvalidInput",
		},
		only: "^Closed$",
	},

	// Contexts and subscriptions.
	"cancelled-context-ignored": {
		rule: "a call with a cancelled context returns its error and applies nothing",
		caught: []string{
			"Context/CancelledCreateStoresNothing",
			"Context/CancelledClaimTakesNothing",
		},
		only: "^Context$",
	},
	"count-ignores-cancelled-context": {
		rule: "Admin.Count honours a cancelled context",
		caught: []string{
			"Admin/EveryMethodHonoursCancelledContext",
		},
		only: "^Admin$",
	},
	"purge-ignores-cancelled-context": {
		rule: "Admin.Purge honours a cancelled context and deletes nothing",
		caught: []string{
			"Admin/EveryMethodHonoursCancelledContext",
		},
		only: "^Admin$",
	},
	"subscription-outlives-context": {
		rule: "a subscription ends when its context does",
		caught: []string{
			"Notify/SubscriptionEndsWithItsContext",
		},
		only: "^Notify$",
	},

	// Admin.
	"retry-hides-taken-key": {
		rule: "Retry of a task whose unique key another task holds is ErrDuplicate",
		caught: []string{
			"Admin/RetryRefusesKeyTakenMeanwhile",
			"Admin/RetryKeyTakenEarlierInBatchIsDuplicate",
			"Alignment/RetryMixedResults",
		},
		only: "^(Admin|Alignment)$",
	},
	"retry-keeps-attempts": {
		rule: "Retry resets the attempt count",
		caught: []string{
			"Admin/RetryResetsAttemptsKeepsLastError",
		},
		only: "^Admin$",
	},
	"retry-clears-last-error": {
		rule: "Retry keeps the last error",
		caught: []string{
			"Admin/RetryResetsAttemptsKeepsLastError",
		},
		only: "^Admin$",
	},
	"lapsed-lease-counted-pending": {
		rule: "Count shows a lapsed, not yet reclaimed lease as running",
		caught: []string{
			"Admin/CountReportsLapsedLeaseAsRunning",
		},
		only: "^Admin$",
	},
	"count-omits-zero-states": {
		rule: "Count has every state, zero counts included",
		caught: []string{
			"Admin/CountHasEveryState",
			model,
		},
		only: "^(Admin|Model)$",
	},
	"count-stale-after-purge": {
		rule: "Count and List agree after Purge",
		caught: []string{
			"Admin/CountAndListAgreeAfterPurge",
		},
		only: "^Admin$",
	},
	"purge-age-from-creation": {
		rule: "the purge age counts from finalisation, not creation",
		caught: []string{
			"Admin/PurgeAgeCountsFromFinalisation",
		},
		only: "^Admin$",
	},
	"purge-newest-first": {
		rule: "Purge deletes the oldest finalisations first",
		caught: []string{
			"Admin/PurgeOldestFinalisedFirst",
		},
		only: "^Admin$",
	},
	// Results.
	"result-dropped": {
		rule: "Complete stores its result",
		caught: []string{
			"Result/StoredAndReadByGetAndList",
			"Result/MaxLengthAcceptedOneMoreRefused",
			"Result/RetriedTaskCarriesNoResult",
			"Result/BatchKeepsEachToItsTask",
		},
		only: "^Result$",
	},
	"result-cut-to-limit": {
		rule: "a result longer than MaxResultLen is refused, not cut",
		caught: []string{
			"Result/MaxLengthAcceptedOneMoreRefused",
		},
		only: "^Result$",
	},
	"results-rotated-in-batch": {
		rule: "each completion of a batch stores its result with its own task",
		caught: []string{
			"Result/BatchKeepsEachToItsTask",
		},
		only: "^Result$",
	},
	"result-on-any-outcome": {
		rule: "only a completion stores a result",
		caught: []string{
			"Result/RefusedOnOtherOutcomes",
		},
		only: "^Result$",
	},
	"refused-completion-keeps-result": {
		rule: "a completion refused by its lease stores no result",
		caught: []string{
			"Result/RetriedTaskCarriesNoResult",
			"Result/BatchKeepsEachToItsTask",
		},
		only: "^Result$",
	},
	"no-result-read-as-empty": {
		rule: "a task with no result reads back a nil result",
		caught: []string{
			"Result/NilWhenNone",
			"Result/EmptyEqualsNone",
		},
		only: "^Result$",
	},
	"refused-retry-drops-result": {
		rule: "a refused retry of a completed task keeps its result",
		caught: []string{
			"Result/RetryOfCompletedTaskKeepsResult",
		},
		only: "^Result$",
	},
	"list-cursor-inclusive": {
		rule: "List returns only tasks after its cursor",
		caught: []string{
			"Admin/ListInIDOrderWithCursor",
			"Admin/ListCursorWithinStateFilter",
		},
		only: "^Admin$/^List",
	},
	// Pauses and Due.
	"claim-ignores-pause": {
		rule: "a paused queue hands out nothing",
		caught: []string{
			"Pause/PausedClaimGetsNothing",
			"Pause/PausedQueueAcceptsCreate",
			"Pause/PauseAndResumeAreIdempotent",
			"Pause/ResumeMakesTasksClaimable",
		},
		only: "^Pause$",
	},
	"resume-does-not-wake": {
		rule: "Resume wakes the queue's subscribers",
		caught: []string{
			"Pause/ResumeWakesSubscribers",
		},
		only: "^Pause$/^ResumeWakes",
	},
	"paused-queues-unsorted": {
		rule: "PausedQueues lists the paused queues in ascending order",
		caught: []string{
			"Pause/PausedQueuesSortedAndExact",
		},
		only: "^Pause$",
	},
	"queues-forget-paused": {
		rule: "Queues lists paused queues that hold no task",
		caught: []string{
			"QueueList/EveryQueueOnceSorted",
		},
		only: "^QueueList$",
	},
	"due-short-by-a-tenth": {
		rule: "Due is the time until a claim would hand out a task, exactly",
		caught: []string{
			"Due/FutureRunAtIsTheDelay",
			"Due/RunningLeaseUntilExpiry",
		},
		only: "^Due$",
	},

	// Schedules.
	"slot-no-compare": {
		rule: "CreateSlot creates a slot only if it is later than the latest",
		caught: []string{
			"Schedule/SameSlotAgainCreatesNothing",
			"Schedule/EarlierSlotRefused",
			"Schedule/ConcurrentCallersCreateEachSlotOnce",
			"Schedule/RecordOutlivesTasks",
			"Schedule/RecordOutlivesDriver",
		},
		only: "^Schedule$",
	},
	"slot-check-then-act": {
		rule: "CreateSlot compares and takes the slot in one atomic step",
		caught: []string{
			"Schedule/ConcurrentCallersCreateEachSlotOnce",
		},
		only: "^Schedule$",
	},
	"slot-accepts-earlier": {
		rule: "CreateSlot refuses a slot earlier than the latest",
		caught: []string{
			"Schedule/EarlierSlotRefused",
			"Schedule/KeepsMicroseconds",
		},
		only: "^Schedule$",
	},
	"slot-forgets-on-purge": {
		rule: "a schedule's record outlives its tasks",
		caught: []string{
			"Schedule/RecordOutlivesTasks",
		},
		only: "^Schedule$",
	},
	"slot-loses-precision": {
		rule: "slots are kept to the microsecond",
		caught: []string{
			"Schedule/KeepsMicroseconds",
		},
		only: "^Schedule$",
	},
	"slot-not-taken-on-duplicate": {
		rule: "a slot whose unique key is held is taken without a task",
		caught: []string{
			"Schedule/HeldUniqueKeyTakesSlotWithoutTask",
		},
		only: "^Schedule$",
	},
	"slot-ignores-expect": {
		rule: "with Expect, CreateSlot takes a slot only from the expected latest slot",
		caught: []string{
			"Schedule/ExpectTakesOnlyFromLatestSeen",
		},
		only: "^Schedule$",
	},
	"slot-invalid-takes": {
		rule: "an invalid slot takes nothing",
		caught: []string{
			"Schedule/InvalidInputChangesNothing",
		},
		only: "^Schedule$",
	},

	// Imports.
	"import-ignores-origin": {
		rule: "Import stores an origin task once",
		caught: []string{
			"Import/SameOriginStoredOnce",
			"Import/OriginOutlivesTask",
			"Import/OriginOutlivesDriver",
			"Import/ConcurrentImportsStoreEachOnce",
		},
		only: "^Import$",
	},
	"import-check-then-act": {
		rule: "Import checks and records an origin in one atomic step",
		caught: []string{
			"Import/ConcurrentImportsStoreEachOnce",
		},
		only: "^Import$",
	},
	"import-records-duplicate": {
		rule: "a task refused for its unique key records no origin",
		caught: []string{
			"Import/HeldUniqueKeyStoresNothing",
		},
		only: "^Import$",
	},
	"import-forgets-on-purge": {
		rule: "the record of an origin outlives its task",
		caught: []string{
			"Import/OriginOutlivesTask",
		},
		only: "^Import$",
	},
	"import-resets-history": {
		rule: "an imported task keeps its attempts and last error",
		caught: []string{
			"Import/PendingKeepsItsRecord",
			"Import/FinalKeepsItsRecord",
		},
		only: "^Import$",
	},
	"import-stamps-now": {
		rule: "an imported task keeps its times",
		caught: []string{
			"Import/PendingKeepsItsRecord",
			"Import/FinalKeepsItsRecord",
			"Import/TakesItsPlaceByRunAt",
			"Import/PurgedByFinalizedAt",
		},
		only: "^Import$",
	},
	"import-loses-precision": {
		rule: "an imported task's times are kept to the microsecond",
		caught: []string{
			"Import/PendingKeepsItsRecord",
			"Import/FinalKeepsItsRecord",
		},
		only: "^Import$",
	},
	"huge-limit-fails": {
		rule: "a limit of math.MaxInt means all there is",
		caught: []string{
			"Input/HugeLimitsMeanEverything",
		},
		only: "^Input$",
	},
	"create-answer-lost-to-context": {
		rule: "a Create that returns an error stored nothing of its batch, even when its context ends midway",
		caught: []string{
			"Context/CreateCancelledMidwayStoresAllOrNothing",
		},
		only: "^Context$",
	},
	"large-finish-answers-in-id-order": {
		rule: "Finish answers each outcome in its place in the input, however large the batch",
		caught: []string{
			"Alignment/LargeShuffledFinishLinesUp",
		},
		only: "^Alignment$",
	},
	"claim-answer-lost-to-context": {
		rule: "a Claim that returns an error leased nothing, even when its context ends midway",
		caught: []string{
			"Context/ClaimCancelledMidwayLeasesOnlyWhatItReturns",
		},
		only: "^Context$",
	},
	"due-many-names-fail": {
		rule: "Due answers a call of many names, one queue named many times",
		caught: []string{
			"Due/ManyNamesLineUp",
		},
		only: "^Due$",
	},
	"batch-total-unchecked": {
		rule: "a batch whose payloads total more than driver.BatchPayloadLimit is refused",
		caught: []string{
			"Hostile/BatchOfPayloadsOverTheTotalLimitIsRefused",
		},
		only: "^Hostile$",
	},
	"tx-ended-answers-ids": {
		rule: "a Create through a creator whose transaction has ended is refused, or stored with the next commit",
		caught: []string{
			"Tx/CreatorAfterCommitStoresNothingUnseen",
		},
		only: "^Tx$",
	},
	"import-invalid-stores-valid": {
		rule: "an invalid import batch stores nothing",
		caught: []string{
			"Import/InvalidInputStoresNothing",
		},
		only: "^Import$",
	},
})

// runBroken runs the suite on the broken driver called name: the work of
// TestBrokenDriversFail in a child process.
func runBroken(t *testing.T, name string) {
	if name == unexempted {
		drivertest.Run(t, drivertest.Harness{New: plainHarness().New})
		return
	}
	if _, ok := brokenDrivers[name]; !ok {
		t.Fatalf("no broken driver is called %q", name)
	}
	drivertest.Run(t, brokenHarness(name))
}

// brokenHarness makes the broken driver called name, on the suite's clock
// for the subtests about time.
func brokenHarness(name string) drivertest.Harness {
	h := memoryHarness()
	h.New = func(testing.TB) driver.Driver { return newBroken(name, time.Now) }
	h.NewClocked = func(_ testing.TB, clock func() time.Time) driver.Driver { return newBroken(name, clock) }
	h.Again = func(_ testing.TB, d driver.Driver) driver.Driver { return brokenHandle{d.(*broken)} }
	h.Tx = func(_ testing.TB, d driver.Driver) (driver.Creator, func() error, func() error) {
		tx := d.(*broken).begin()
		return tx, tx.commit, tx.rollback
	}
	return h
}

// brokenHandle is a second handle on a broken driver, whose store lives
// in it (see sharedHandle).
type brokenHandle struct {
	*broken
}

func (brokenHandle) Close() error { return nil }

// TestBrokenWrapperAloneKeepsTheContract runs the suite on the wrapper of
// the broken drivers with no rule broken: it passes, so what fails the
// suite in TestBrokenDriversFail is each driver's one break, not the
// wrapper, its bookkeeping or its overlay.
func TestBrokenWrapperAloneKeepsTheContract(t *testing.T) {
	if os.Getenv(brokenEnv) != "" {
		t.Skip("this is a child process")
	}
	drivertest.Run(t, brokenHarness(""))
}

// brokenRuns is how many times each broken driver runs the suite, each run
// in a child process of its own, the runs at once (a subtest that must
// wait its whole limit to see a rule broken costs that wait once, not five
// times): every run must fail in every subtest named in its entry, so a
// rule that a subtest catches only in some runs shows.
const brokenRuns = 5

var failLine = regexp.MustCompile(`(?m)^\s*--- FAIL: TestBrokenDriversFail/(\S+/\S+)`)

// TestBrokenDriversFail shows that each broken driver fails the suite, in
// the subtests that own its rule, in each of brokenRuns runs. It runs the
// test binary again once per broken driver, with the environment naming
// the driver; in that child, this same test runs the suite on it.
func TestBrokenDriversFail(t *testing.T) {
	if name := os.Getenv(brokenEnv); name != "" {
		runBroken(t, name)
		return
	}
	if testing.Short() {
		t.Skip("runs the suite several times per broken driver; skipped with -short")
	}
	var gaps []string
	for _, name := range slices.Sorted(maps.Keys(brokenDrivers)) {
		bd := brokenDrivers[name]
		if len(bd.caught) == 0 {
			gaps = append(gaps, fmt.Sprintf("%s (breaks: %s)", name, bd.rule))
			continue
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			run := "^TestBrokenDriversFail$"
			if bd.only != "" {
				run += "/" + bd.only
			}
			outs := make([][]byte, brokenRuns)
			errs := make([]error, brokenRuns)
			var wg sync.WaitGroup
			for i := range brokenRuns {
				wg.Go(func() {
					cmd := exec.CommandContext(t.Context(), os.Args[0],
						"-test.run="+run, "-test.v", "-test.count=1", "-test.parallel=8",
						"-rapid.nofailfile", "-rapid.shrinktime=2s", "-rapid.checks=500")
					cmd.Env = append(os.Environ(), brokenEnv+"="+name)
					outs[i], errs[i] = cmd.CombinedOutput()
				})
			}
			wg.Wait()
			fails := map[string]int{}
			for i, out := range outs {
				var exit *exec.ExitError
				require.ErrorAs(t, errs[i], &exit, "run %d: the suite must fail on a driver that breaks the rule %q; output:\n%s", i+1, bd.rule, out)
				for _, m := range failLine.FindAllStringSubmatch(string(out), -1) {
					fails[m[1]]++
				}
			}
			for _, want := range bd.caught {
				assert.Equal(t, brokenRuns, fails[want], "subtest %s must catch a driver that breaks the rule %q in each of %d runs", want, bd.rule, brokenRuns)
				rule := strings.Join(strings.SplitN(want, "/", 3)[:2], "/") // a rule's subtest, above its runs per priority rule
				assert.Regexp(t, `(?m)^\s+\S+: why `+regexp.QuoteMeta(rule)+` matters: \S`, string(outs[0]), "subtest %s prints why its rule matters when it fails", rule)
			}
			var failed []string
			for _, sub := range slices.Sorted(maps.Keys(fails)) {
				failed = append(failed, fmt.Sprintf("%s (%d/%d)", sub, fails[sub], brokenRuns))
			}
			t.Logf("%s (breaks: %s) failed: %s", name, bd.rule, strings.Join(failed, ", "))
		})
	}
	if len(gaps) > 0 {
		t.Logf("%d broken drivers that no subtest catches yet:\n\t%s", len(gaps), strings.Join(gaps, "\n\t"))
	}
}
