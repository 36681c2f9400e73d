package drivertest

import (
	"strings"
	"testing"
)

// whys gives every rule of the suite, by its subtest name under Run, the
// reason it matters in one line: what a user of package gosk or package
// worker would lose on a driver that breaks it. A failing subtest prints
// its line (see explain), so that a driver's author learns why the rule
// exists, not only which check broke. Every rule has one; a test keeps the
// table and the rules in step.
var whys = map[string]string{
	"Create/GetReturnsWhatCreateStored":  "the worker runs the task that Create stored: a field lost or changed in the store changes the work done",
	"Create/BatchResultsLineUpWithInput": "callers match result i to task i: a shifted result, a shared or reused ID points them at another task",
	"Create/EmptyBatchStoresNothing":     "a caller with nothing to enqueue must not need a special case, nor get a phantom task",

	"Claim/LeasesTaskAndCountsAttempt":              "the lease is what keeps two workers off one task, and the attempt count is what stops retries",
	"Claim/ReturnsTheStoredRecord":                  "the handler receives the claimed record: it must be the task as Get reads it",
	"Claim/EmptyQueueReturnsNothing":                "an idle worker polls an empty queue all day: that is no error, and no task",
	"Claim/LimitBoundsBatchAndZeroMeansOne":         "a worker claims as many tasks as it has free slots: more would sit leased and unrun",
	"Claim/PendingTaskHandedOutWhateverItsAttempts": "package worker decides what a spent attempt count means: a pending task the store holds back is stuck, neither run nor failed",
	"Claim/ConcurrentClaimersNeverShareLiveLease":   "many workers claim at once: two holding one live lease run the same task twice",
	"Claim/ClaimRoundsHandOutEachTaskOnce":          "a rare double delivery under racing claimers is still a task run twice in production",

	"Order/FifoOldestFirst":                     "Fifo users expect the oldest waiting task first, so no task starves behind newer ones",
	"Order/LifoNewestFirst":                     "Lifo users want the freshest work first (stale work matters less)",
	"Order/PriorityHighestFirstFifoAmongEquals": "urgent tasks must overtake the backlog, and equals must still not starve",
	"Order/BatchClaimReturnsRuleOrder":          "a batch claim is the same as that many single claims: the rule must hold within the batch",

	"Queues/ClaimsKeepQueuesApart": "a worker of one queue runs only its own handler's tasks: another queue's payload would not even decode",

	"RunAt/DelayedTaskNotClaimableBeforeRunAt": "a delay is a promise (a retry back-off, a scheduled send): running early breaks it",
	"RunAt/RunAtIsNowPlusDelay":                "a delay counts from creation on the store's clock, exactly, or schedules drift",
	"RunAt/DelayedTaskClaimableOnceRunAtComes": "a delayed task that is not handed out once due is late work, or lost work",
	"RunAt/FifoOrdersByRunAt":                  "a delayed task joins the line when it becomes due, not when it was created",
	"RunAt/LifoAndPriorityOrderByRunAt":        "every rule orders by when a task became available, so a delay never jumps the queue",

	"Lease/ExpiryMakesTaskClaimableAgain":           "a worker that crashed or hangs must not keep its tasks forever: delivery is at least once",
	"Lease/ReclaimGivesNewTokenAndCountsAttempt":    "the new token fences the old holder out, and the counted attempt stops a task that crashes its workers",
	"Lease/LapsedLeaseHoldsUntilReclaimed":          "a slow worker whose lease ran out but that nobody replaced still owns its task: its work is not thrown away",
	"Lease/LastAttemptLapseFailsTask":               "a task that crashed its worker on the last attempt must fail, not loop through workers forever",
	"Lease/LastAttemptLapseFreesKeyAndClaimGoesOn":  "a failed task must free its unique key, and must not use up the claim that failed it",
	"Lease/ClaimLeaseEndsAtNowPlusLease":            "workers ping well inside the lease: a lease ending early lets another worker take a live task",
	"Lease/PingExtendsToNowPlusExtension":           "a ping is what keeps a long task its own: a short extension hands it to a second worker",
	"Lease/PingShortensToNowPlusExtension":          "the worker reckons its safe window from the extension it asked for: a store that keeps the later end disagrees with it",
	"Lease/PingExtendsLease":                        "a task that runs longer than one lease must keep it for as long as its worker pings",
	"Lease/LapsedLeaseTakesItsPlaceInFifoOrder":     "a task whose worker died goes back in line where a waiting task would be, under Fifo",
	"Lease/LapsedLeaseTakesItsPlaceInLifoOrder":     "a task whose worker died goes back in line where a waiting task would be, under Lifo",
	"Lease/LapsedLeaseTakesItsPlaceInPriorityOrder": "a task whose worker died keeps its priority when it is handed out again",
	"Lease/PassedOverLapsedLeaseStillHolds":         "a claim that did not take a lapsed task must not take it from its slow but live worker",
	"Lease/LastAttemptLapsesAllFailedByAnyClaim":    "every task spent on its last attempt must reach failed, whatever claims come, or it sits running forever",

	"Fencing/StaleLeaseAfterReclaim":                  "a worker whose lease ran out must not finish a task another worker now runs: that is lost or doubled work",
	"Fencing/StaleLeaseAfterOutsideCancel":            "a cancel from outside must stick: the worker still running the task must not complete or revive it",
	"Fencing/StaleLeaseAfterFinalise":                 "a final task is final: its old lease must not move it again",
	"Fencing/StaleLeaseAfterRelease":                  "once a worker gave a task back, its lease must not touch the task that others may now run",
	"Fencing/RepeatedOutcomeOfOneLeaseIsConflict":     "a worker retrying a finish after a timeout must learn the first one landed, not apply it twice",
	"Fencing/StaleLeaseAfterReleaseAndOutsideCancel":  "a released, then cancelled task must stay cancelled whatever its old lease says",
	"Fencing/WrongTokenChangesNothing":                "the token is the only proof of holding a task: a forged or mixed-up one must change nothing",
	"Fencing/LatePingDoesNotReviveFinalTask":          "a ping that arrives after the task ended must not make it running again",
	"Fencing/FinishRacingReclaimHasOneWinner":         "a finish racing a reclaim is where queues lose or double work: exactly one side may win",
	"Fencing/PingRacingReclaimHasOneWinner":           "a ping racing a reclaim must not leave two workers both believing they hold the task",
	"Fencing/OutsideCancelRacingCompleteHasOneWinner": "a cancel racing a complete must end in one state, with each caller told truly whether it won",
	"Fencing/TokensOnlyGoUp":                          "handlers fence their own writes with the token (WHERE fence < token): a token that repeats or goes down lets a stale run overwrite the new one",
	"Fencing/TokensGoUpAcrossCancelAndRetry":          "a cancelled, failed or lapsed task that is retried runs again: its new run's writes must still outrank every earlier run's",

	"Refused/AfterReclaimChangesNothing":            "a refused call by a stale worker must not touch the record the new holder relies on",
	"Refused/AfterReleaseChangesNothing":            "a refused call must leave a released task exactly as the release left it",
	"Refused/AfterOutsideCancelChangesNothing":      "a refused call must leave a cancelled task exactly as the cancel left it",
	"Refused/AfterFinaliseChangesNothing":           "a refused call must leave a final task's state, message and times as they were",
	"Refused/AfterLastAttemptLapseChangesNothing":   "a task failed for a lapsed last lease must keep its failure, whatever its old worker sends",
	"Refused/RefusedItemsInMixedBatchChangeNothing": "the worker batches pings and outcomes: a refused item must not spoil or leak into its neighbours",

	"Alignment/CreateDuplicatesAtAsymmetricPositions": "a shifted or reversed result slice tells callers the wrong task was a duplicate",
	"Alignment/PingMixedResults":                      "the worker cancels the handler whose ping was refused: a misaligned result cancels the wrong one",
	"Alignment/FinishMixedResults":                    "the worker reports each task's outcome from its own result: misaligned, it reports another task's",
	"Alignment/RetryMixedResults":                     "an operator retrying many tasks must learn which ones were refused",
	"Alignment/CancelMixedResults":                    "an operator cancelling many tasks must learn which ones were refused",
	"Alignment/LargeShuffledFinishLinesUp":            "a store that splits a large batch must still answer each outcome in its place: a shifted answer reports another task's fate",

	"Finish/OutcomesReachTheirStates":        "the handler's result decides the task's fate: complete, cancel, fail and release must each land",
	"Finish/EmptyMessageKeepsLastError":      "a success after failures must not erase the error that explains the earlier attempts",
	"Finish/FinaliseOnceOnly":                "a final task is final: a second outcome must be refused so that its sender knows",
	"Finish/BatchResultsLineUpWithInput":     "the worker finishes many tasks in one call and reads result i as task i's",
	"Finish/PingBatchResultsLineUpWithInput": "the worker pings all its tasks in one call and reads result i as lease i's",

	"InputOrder/PingTakesLeasesInAnyOrder":                 "the worker sends leases in whatever order it holds them; results must still line up",
	"InputOrder/FinishTakesOutcomesInAnyOrder":             "outcomes come in the order handlers return; results must still line up",
	"InputOrder/AdminTakesIDsInAnyOrder":                   "an operator's IDs come in any order; results must still line up",
	"InputOrder/PingAndFinishInOppositeOrdersConcurrently": "the pinger and the finisher run at once over the same tasks: locks taken out of order deadlock the worker",

	"Attempts/ErrorReleaseUsesAttempt":         "a task whose handler keeps failing must run out of attempts and stop",
	"Attempts/ShutdownReleaseGivesAttemptBack": "a task given back at shutdown did not fail: it must not lose an attempt for the restart",
	"Attempts/LapseUsesAttempt":                "a task that crashes its worker every time must run out of attempts, not crash workers forever",

	"Release/WithoutDelayClaimableAtOnce":        "a task given back at shutdown should be picked up by another worker at once",
	"Release/WithoutDelayGoesBehindWaitingTasks": "a task that failed must not cut in front of the tasks that were waiting for their first run",
	"Release/KeepAttemptWithDelay":               "a snooze is a delay without a failure: it keeps the attempt and still waits",
	"Release/WithDelayNotBeforeThen":             "a retry back-off that ends early hammers whatever made the task fail",
	"Release/DelayCountsFromRelease":             "a back-off counts from the failure, or a long-running task retries at once",

	"UnknownID/EveryCallReportsTaskNotFound": "a call about a task that does not exist must say so, never succeed silently",
	"UnknownID/BatchReportsOnlyUnknownItems": "one unknown ID in a batch must not fail or hide the results of the others",

	"Unique/DuplicateReturnsExistingID":        "a unique key makes enqueueing idempotent: the caller gets the task already there, and no second one",
	"Unique/DuplicateWithinOneBatch":           "a batch that names one key twice must store one task, like two separate calls",
	"Unique/KeyHeldWhileRunningFreedWhenFinal": "the key guards a job while it waits or runs, and must let the next one in once it ended",
	"Unique/KeyScopedToQueue":                  "queues are separate namespaces: a key in one must not block another",
	"Unique/ConcurrentCreatesStoreOne":         "producers racing to enqueue the same job must still get exactly one task",
	"Unique/KeyHeldThroughRelease":             "a task waiting for its retry is still the same job: the key stays taken",
	"Unique/KeyHeldThroughSnooze":              "a snoozed task is still the same job: the key stays taken",
	"Unique/KeyHeldThroughLapseAndReclaim":     "a task whose worker died is still the same job: the key stays taken",
	"Unique/KeyFreedOnlyWhenFinal":             "only a final task frees its key, by every way a task can end",

	"Result/StoredAndReadByGetAndList":       "a caller waits for a task to learn what it produced: a result not stored, or not read back, is work done for nothing",
	"Result/CallerMayReuseItsBytes":          "a handler's result may sit in a buffer it reuses for the next task: a store that kept the slice shows another run's result",
	"Result/NilWhenNone":                     "callers tell a run that produced nothing from one that did by a nil result: bytes invented for a task that stored none mislead them",
	"Result/EmptyEqualsNone":                 "every store must agree on what no result looks like, or the same handler reads back differently on each",
	"Result/MaxLengthAcceptedOneMoreRefused": "the limit is the port's, the same on every store: a result cut short is a corrupt answer, one let through is a store that grows without bound",
	"Result/RefusedOnOtherOutcomes":          "only a completed task has a result: one kept on a released, cancelled or failed task would be read as the answer of a run that never finished",
	"Result/RetryOfCompletedTaskKeepsResult": "a refused retry must change nothing: the completed task's answer stays readable",
	"Result/RetriedTaskCarriesNoResult":      "a retried task starts over: a result from an earlier run, or from a lease taken away, would be taken for the answer of the run to come",
	"Result/PurgeRemovesIt":                  "purge is how a store stays small: a result left behind by its task is space never given back",
	"Result/BatchKeepsEachToItsTask":         "the worker completes tasks in batches: a result stored with its neighbour hands one caller another's answer",

	"Payload/BinaryAndNonUTF8RoundTrip":     "payloads are the codec's bytes (gob, protobuf, raw): any byte must come back",
	"Payload/NilAndEmptyReadBackEmpty":      "an empty payload is a valid task, and must read back empty rather than fail",
	"Payload/LargePayloadRoundTrip":         "large payloads must come back whole, not truncated",
	"Payload/EverySizeSurvivesTheLifecycle": "a store may keep large payloads apart from their records: every size must come back whole from every read, while pending, running, final and retried",
	"Payload/CallerMayReuseItsBytes":        "callers encode into pooled buffers and reuse them once Create returns: a store that kept the caller's slice runs a payload it was never given",

	"Text/InvalidMessageRefusesTheWholeBatch":   "a message the store could not keep exactly must be refused, and nothing of its batch half-applied",
	"Text/MessageLengthLimit":                   "every driver keeps messages up to the same length whole and refuses longer ones, so nothing changes with the store",
	"Text/ValidMessagesRoundTrip":               "an error message is what an operator reads to debug: it must come back exactly",
	"Text/InvalidUniqueKeyRefusesTheWholeBatch": "a unique key the store could not keep exactly must be refused, and nothing of its batch stored",
	"Text/UniqueKeyLengthLimit":                 "every driver accepts the same keys, so moving to another store breaks no producer",
	"Text/ValidUniqueKeysRoundTrip":             "a unique key must read back exactly, or the user cannot find the task by it",
	"Text/UniqueKeysCompareAsBytes":             "keys that differ in case or form are different jobs: folding them drops work",
	"Text/WorkerStoresHandlerErrorsCleaned":     "handlers return any error text: the worker must still finish every task, with its text kept readable",

	"Context/CancelledCreateStoresNothing":                "a caller whose context ended is told it failed: a task stored anyway is a surprise duplicate",
	"Context/CreateCancelledMidwayStoresAllOrNothing":     "a caller told its create failed creates the batch again: if the first was stored after all, every task runs twice",
	"Context/ClaimCancelledMidwayLeasesOnlyWhatItReturns": "a runtime told its claim failed never runs what it leased: those tasks sit leased to nobody and lose an attempt, a task on its last one fails unrun",
	"Context/CancelledClaimTakesNothing":                  "a worker that gave up on a claim will never run what it claimed: those tasks would sit leased",
	"Context/CancelledPingAndFinishChangeNothing":         "a call reported as failed must not have applied, or the caller's retry applies it twice",
	"Context/CancelledGetReturnsContextError":             "callers tell a cancellation from a store fault by the context error",

	"Closed/EveryCallReturnsErrClosed": "a call after Close must fail plainly, not hang, panic or reach a closed pool",
	"Closed/ClosedBeforeInvalidInput":  "callers check errors in one order on every driver: a closed driver says so before it judges the input",

	"Input/EmptyQueueName":                        "a bad argument is the caller's bug: it must be ErrInvalid, never a store error or a silent no-op",
	"Input/NegativeLimitsAndDurations":            "a negative limit or duration is a caller's bug that must be refused, not turned into odd leases",
	"Input/UnknownPriorityRule":                   "a rule the driver does not know must be refused, not claimed in some other order",
	"Input/BadOutcomesAndIDs":                     "an unknown outcome or a malformed ID must be refused before anything changes",
	"Input/BadUniqueKey":                          "a key the contract does not allow must be refused the same way on every driver",
	"Input/HugeLimitsMeanEverything":              "a worker or a tool that asks for all there is passes the largest int: that must work, not fail in the store",
	"Input/InvalidBatchStoresNothing":             "a batch with one bad item is refused whole: a caller must not have to find which part landed",
	"Input/InvalidBatchOfEveryCallChangesNothing": "a caller told its whole batch was invalid fixes it and sends it again: items already applied would extend, finish or cancel twice",

	"Hostile/HostileQueueNamesRefusedAlike":                    "queue names reach SQL, Lua, keys and patterns: every driver must refuse the same ones in the same words",
	"Hostile/HostileUniqueKeysRoundTripAndMatchOnlyThemselves": "keys that look like patterns, escapes or SQL must be stored as data, never interpreted",
	"Hostile/HostileUniqueKeysRefusedAlike":                    "every driver refuses the same bad keys in the same words, so switching stores changes nothing",
	"Hostile/PayloadOfExactlyTheLimitIsStored":                 "the payload limit is a promise: a payload right at it must be stored whole",
	"Hostile/BatchOfPayloadsAtTheTotalLimitIsStored":           "the batch limit is a promise: a batch right at it must be stored whole, not refused by a store that meant a smaller one",
	"Hostile/BatchOfPayloadsOverTheTotalLimitIsRefused":        "a batch too large for one request fails in the store, or times out after storing its tasks: it must be refused first, naming the limit",
	"Hostile/PayloadOverTheLimitRefusesTheWholeBatch":          "an oversized payload must be refused, naming the limit, and its batch store nothing",

	"Notify/WakesOnCreate":                       "notify is how a worker starts a new task in milliseconds instead of at its next poll",
	"Notify/WakesOnRelease":                      "a released task should be picked up again at once, not at the next poll",
	"Notify/WakesOnRetry":                        "a task retried by an operator should run at once, not at the next poll",
	"Notify/WakesOnTxCommit":                     "tasks enqueued in the caller's transaction are the usual way in: without a wake-up at commit they wait for the next poll",
	"Notify/WakesOnCreateSlot":                   "a scheduled task is due the moment its slot is taken: without a wake-up it starts at the next poll",
	"Notify/StopIsSafeTwiceAndEndsWithContext":   "a worker's shutdown paths may stop a subscription twice: that must not panic or hang",
	"Notify/SubscribeRefusesBadQueue":            "a bad queue name is the caller's bug, refused here as everywhere else",
	"Notify/SubscriptionEndsWithItsContext":      "a subscription whose context ended must not leak its goroutine or connection",
	"Notify/StopEndsSubscriptionBeforeReturning": "a worker that returned from Run must leave nothing running behind it",
	"Notify/CloseEndsEverySubscription":          "Close must end what the driver started, or every shutdown leaks",

	"Admin/CountHasEveryState":                     "dashboards and alerts read Count: a missing state reads as zero",
	"Admin/ListInIDOrderWithCursor":                "an operator pages through tasks: a page must neither skip nor repeat one",
	"Admin/ListReturnsWholeRecords":                "List is how an operator inspects tasks: it must show what Get shows",
	"Admin/ListZeroLimitMeansDefault":              "a zero limit is the default page, not an empty one or the whole store",
	"Admin/ListFiltersByState":                     "an operator lists the failed tasks to act on them: other states must not slip in",
	"Admin/ListCursorWithinStateFilter":            "paging a filtered list must neither skip nor repeat a task",
	"Admin/RetryResetsAttemptsKeepsLastError":      "a retried task gets a full set of attempts, and keeps the error that made someone retry it",
	"Admin/RetryMakesDelayedTaskAvailableNow":      "an operator who retries a task wants it run now, not at its old run-at",
	"Admin/RetryRefusesKeyTakenMeanwhile":          "a retry must not make two live tasks share one unique key",
	"Admin/RetryKeyTakenEarlierInBatchIsDuplicate": "two retried tasks with one key must not both come back to life",
	"Admin/RetryRefusesUnfinishedAndCompleted":     "only a failed or cancelled task can be retried: retrying a live or completed one runs work twice",
	"Admin/ConcurrentRetriesRestoreOne":            "two operators (or a dashboard and a script) retry the same failed work at once: both winning runs it twice or revives two tasks for one key",
	"Admin/RetryRacingCreateOfItsKeyOneHolds":      "a producer re-enqueues a job while an operator retries its failed task: both winning runs the job twice",
	"Admin/PurgeRacingRetryOneWins":                "retention purges while an operator retries: a purge that deletes the task just retried loses the work the operator asked to run",
	"Admin/CancelPendingAndRunningRefusesFinal":    "an operator cancels what has not ended; a final task's outcome must not be rewritten",
	"Admin/CancelFreesUniqueKey":                   "a cancelled job must let a new job with its key be enqueued",
	"Admin/PurgeBoundedByLimit":                    "retention purges in bounded batches, so one sweep never holds the store for long",
	"Admin/PurgeZeroLimitMeansDefault":             "a zero limit is the default batch, not zero tasks or all of them",
	"Admin/PurgeRespectsOlderThan":                 "retention keeps recent final tasks for inspection: purging them early loses history",
	"Admin/PurgeOldestFinalisedFirst":              "a bounded purge must remove the oldest history first",
	"Admin/PurgeOnlyFinalisedBeforeCutoff":         "the age cutoff is a promise of how long final tasks are kept",
	"Admin/PurgeKeepsUnfinishedAndOtherQueues":     "a purge must never delete work that has not ended, nor another queue's tasks",
	"Admin/RefusesBadInput":                        "bad arguments to Admin calls are the caller's bug: ErrInvalid, and nothing changes",
	"Admin/EveryMethodHonoursCancelledContext":     "an operator's call that was cancelled must have applied nothing",
	"Admin/CountReportsLapsedLeaseAsRunning":       "a lapsed task stays running until a claim takes it over: Count must agree with what Get and List show",
	"Admin/CountAndListAgreeAfterPurge":            "Count and List must tell the same story, or dashboards and inspection disagree",
	"Admin/PurgeAgeCountsFromFinalisation":         "a task's age for retention counts from when it ended, or long-waiting tasks vanish as soon as they end",

	"Tx/VisibleOnlyAfterCommit":                "a task enqueued in the caller's transaction must not run before the data it refers to is committed",
	"Tx/NothingAfterRollback":                  "a rolled-back transaction must leave no task behind to run on data that never existed",
	"Tx/CreatorAfterCommitStoresNothingUnseen": "a creator kept past its transaction is a caller's bug: it must say so, not answer with IDs of tasks that never appear",
	"Tx/UniqueKeyAcrossTxAndStore":             "unique keys hold across transactions and the store, or a commit creates a second task for one job",
	"Tx/KeyTakenEarlierInSameTxIsDuplicate":    "a transaction that enqueues one job twice must store it once",
	"Tx/NothingDroppedAtCommit":                "every task a transactional Create acknowledged must exist after commit",
	"Tx/InvalidInputRefused":                   "a transaction must take no task that Create would refuse: an oversized payload or a bad key would be committed with the caller's data",
	"Tx/KeysScopedToQueueInTx":                 "a job enqueued for two queues in one transaction must run in both: a key is held per queue",
	"Tx/KeyTakenBeforeCommitHasOneHolder":      "a key that another producer takes while a transaction is open must still end with one live task, or the job the key stands for runs twice",

	"Pause/PausedClaimGetsNothing":                     "an operator pauses a queue to stop its work now (a broken dependency, a deploy): a claim that still hands out tasks, or fails them, defeats it",
	"Pause/PausedQueueAcceptsCreate":                   "producers keep enqueueing while a queue is paused: refusing their tasks would lose work the pause was meant to hold back",
	"Pause/RunningTaskFinishesWhilePaused":             "a pause stops new work, not work in flight: a running task refused its ping or finish would run twice",
	"Pause/ResumeMakesTasksClaimable":                  "a queue that stays stuck after its resume, or a pause that stops other queues, is an outage",
	"Pause/PauseAndResumeAreIdempotent":                "operators and scripts repeat commands: a second pause or resume must not fail or need a second undo",
	"Pause/PausedQueuesSortedAndExact":                 "dashboards and scripts read the paused list: a queue missing, doubled or resumed by a prefix misleads the operator",
	"Pause/PauseIsDurable":                             "a pause made from one process must hold in every worker process, and across their restarts",
	"Pause/ResumeWakesSubscribers":                     "after a resume, workers must pick the held-back tasks up at once, not at their next poll",
	"Pause/CancelledContextOrClosedDriverApplyNothing": "a caller that gave up, or a driver that was closed, must not pause or resume a queue behind the operator's back",
	"Pause/BadQueueNamesRefused":                       "a bad queue name is the caller's bug, refused here as everywhere else, with nothing of the list applied",

	"Due/EmptyQueueIsNotDue":                          "an idle process sleeps as long as it can: a queue with no work must not read as due",
	"Due/PendingNowIsZero":                            "a queue with work waiting must be claimed now, not after a sleep",
	"Due/FutureRunAtIsTheDelay":                       "a process sleeps until the next task is due: too short wastes polls, too long runs the task late",
	"Due/EarliestRunAtWhateverPriority":               "a claim hands out a low-priority task that is due while higher ones wait: a process that sleeps until the top priority's run-at leaves it waiting",
	"Due/LapsedLeaseIsZero":                           "a task whose worker died is claimable now: reporting it later delays its recovery",
	"Due/RunningLeaseUntilExpiry":                     "a lease that runs out makes its task claimable: the process must wake then to recover it",
	"Due/PausedQueueIsNotDue":                         "a paused queue hands out nothing: reporting it due makes idle processes spin on it",
	"Due/ResultsLineUpWithInput":                      "a process maps duration i to queue i: a shifted result sleeps on one queue and spins on another",
	"Due/ManyNamesLineUp":                             "a process serving many queues asks for all of them at once: a store that fails or shifts a large call leaves them all asleep",
	"Due/DueChangesNothing":                           "Due is asked on every poll: a read that moves tasks would change the lifecycle behind the workers' backs",
	"Due/CancelledContextOrClosedDriverRefused":       "a process shutting down must get the context's error or ErrClosed from its poll, not a stale answer",
	"QueueList/EveryQueueOnceSorted":                  "an operator's tool shows the queues Queues names: a queue left out is a backlog nobody sees",
	"QueueList/PurgedQueueNotListed":                  "a queue long emptied and purged is gone: listing it forever clutters every tool",
	"QueueList/CancelledContextOrClosedDriverRefused": "a tool shutting down must get the context's error or ErrClosed, not a stale list",
	"Due/BadQueueNamesRefused":                        "a bad queue name is the caller's bug, refused here as everywhere else",

	"Schedule/FirstSlotCreatesTask":                     "a schedule's first slot is its first run: the task must be created as the schedule describes it",
	"Schedule/SameSlotAgainCreatesNothing":              "every process of a schedule takes each slot: a slot that is not refused the second time runs once per process",
	"Schedule/EarlierSlotRefused":                       "a late or skewed process computes slots already passed: taking them would run old slots again, out of order",
	"Schedule/LaterSlotCreates":                         "a schedule runs once per slot: a later slot that is refused is a run lost",
	"Schedule/SchedulesAreIndependent":                  "two schedules that shared a record would take each other's slots and lose runs",
	"Schedule/HeldUniqueKeyTakesSlotWithoutTask":        "a slot whose run is still going is skipped, not queued up for later, and the caller learns which task holds it",
	"Schedule/InvalidInputChangesNothing":               "a refused slot that still moved the record would make the schedule skip its next valid slots",
	"Schedule/ConcurrentCallersCreateEachSlotOnce":      "processes wake at the same slot at once: a compare that is not atomic with the create runs a slot twice",
	"Schedule/RecordOutlivesTasks":                      "retention purges finished tasks: a record that went with them would run the slot again",
	"Schedule/RecordOutlivesDriver":                     "processes restart and others open the same store: the record must be in the store, not in a driver",
	"Schedule/KeepsMicroseconds":                        "schedules every second or less tell slots apart below the millisecond only if the store keeps what the port promises",
	"Schedule/ExpectTakesOnlyFromLatestSeen":            "a process that follows a schedule from the latest slot it saw must not take a slot while an earlier one is still untaken: that slot would be lost",
	"Schedule/ConcurrentFirstSlotsExpectingNoneTakeOne": "processes that start a schedule at once, with clocks apart, would each start it at their own slot and lose the slots between",
	"Schedule/ClosedReturnsErrClosed":                   "a schedule runner that outlives its driver must stop on ErrClosed, not retry an input error",

	"Import/PendingKeepsItsRecord":          "a task moved from another store must run as it would have there: attempts reset give a failing task more tries than its owner allowed, a lost last error hides why it failed, a new created-at or run-at reorders the queue",
	"Import/FinalKeepsItsRecord":            "history moved on request is the record of what happened: a completed task without its result, or a failure without its error, is history rewritten",
	"Import/SameOriginStoredOnce":           "a move that stops half-way is run again: a task stored twice runs twice",
	"Import/OriginOutlivesTask":             "retention purges moved tasks on the new store while the old one still holds them: a rerun of the move must not bring them back",
	"Import/OriginOutlivesDriver":           "a move is resumed by another process, after a crash or a restart: what was moved must be known from the store, not from memory",
	"Import/HeldUniqueKeyStoresNothing":     "a unique key means one pending task per key whatever store it came from; and a task refused for its key must still move once the key is free",
	"Import/KeysInOneBatchAndAfter":         "an imported task holds its key exactly as a created one, or producers on the new store create the duplicates the key was there to prevent",
	"Import/TakesItsPlaceByRunAt":           "moved tasks that waited longest on the old store must not go to the back of the new one, and a delayed task must not run early",
	"Import/PurgedByFinalizedAt":            "retention goes by when a task ended: moved history judged by the time of the move is kept too long or, worse, purged by the wrong clock",
	"Import/InvalidInputStoresNothing":      "a batch with one bad task must fail whole, or a rerun cannot tell what was moved",
	"Import/ConcurrentImportsStoreEachOnce": "two movers started by mistake on the same stores must still move each task once",
	"Import/WakesSubscribers":               "workers on the new store wait for a wake-up: moved tasks that are due must be picked up at once, not at the next poll",
	"Import/EmptyAndClosed":                 "a mover that outlives its driver must stop on ErrClosed, and an empty page of a move is no error",

	"Model/RandomOperationsMatchReferenceModel": "the rules above meet in sequences no hand-written test thinks of: the driver must agree with the contract's model at every step",
}

// explain makes the subtest t, which proves the rule named rule, print that
// rule's reason if it fails.
func explain(t *testing.T, rule string) {
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("why %s matters: %s", rule, whys[rule])
		}
	})
}

// checkWhys returns the problems of the table of reasons against the rules
// of groups: a rule without a one-line reason, or a reason for no rule.
func checkWhys(gs []group) []string {
	var problems []string
	rules := map[string]bool{}
	for _, g := range gs {
		for _, r := range g.rules {
			name := g.name + "/" + r.name
			rules[name] = true
			why := whys[name]
			switch {
			case strings.TrimSpace(why) == "":
				problems = append(problems, name+" has no reason in whys")
			case strings.Contains(why, "\n"):
				problems = append(problems, name+"'s reason is more than one line")
			}
		}
	}
	for name := range whys {
		if !rules[name] {
			problems = append(problems, "whys names "+name+", which is no rule of groups")
		}
	}
	return problems
}
