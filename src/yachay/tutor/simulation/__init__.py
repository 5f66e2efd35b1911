"""Simulated students: does the adaptive policy help children learn more per minute of call?

Nobody can A/B-test on children before the policy ships, so we test it on synthetic
students whose knowledge we can see, taught by four policies on the same students with
the same luck (common random numbers: every policy meets the same children, the same call
schedule and the same stream of random draws):

- **adaptive** — production: the tutor exactly as the server runs it
  (`simulation.production`): a version of the served model kind (`DEFAULT_MODEL`) and the
  skill filter that decides (`yachay.tutor.decider`), trained and fitted by the functions
  `yachay tutor train` runs (`retrain`), first on the warm-up cohort's logged answers
  (below), then every week (`SimConfig.retrain_days`) on those and every answer the
  simulated children gave so far (each new filter keeping the served one's dynamics and
  refitting its priors, as `yachay tutor train` does), promoted only through the same gate
  (the model's and the filter's holdout AUC not worse than production's), written as a
  checkpoint and a pointer
  and served by the server's `TutorService` with each child's grade (the cold-start prior
  while there is no model); rounds are built as `decisions.practice_round` builds them;
- **fixed** — a textbook: the skills of the student's grade in curriculum order,
  `SimConfig.fixed_items_per_skill` questions each from easy to hard, then the next
  grade's (and from the start again when the book is done). The default, 45 questions a
  skill, is about the pace that serves the fixed policy best in this simulation (15 or 30
  do far worse, 60 about the same): the baseline is not a straw man;
- **random** — any question of the student's grade or below;
- **oracle** — the same `next_items` rule fed with the *true* success probabilities; it
  needs no evidence before calling a skill mastered, presumes nothing and needs no
  reviews (it sees forgetting). A reference point, not a proven optimum.

On request, comparison rows: **adaptive-filter** (``--policy adaptive-filter``), the same
rule driven by `SkillFilter` fitted once on the warm-up cohort, reading each answer's
correctness and response time; **adaptive-untimed**, that filter reading correctness
only, which measures what the response times add; and **adaptive-refit**, the production
path with the whole filter refitted weekly (``yachay tutor train --refit-dynamics``; no
model, no gate).

What it leaves out
------------------
Its items have no context: every question stands on its own. The default curriculum
(`synthetic_curriculum`) has only such questions. A pack's curriculum (``--pack``,
`pack_curriculum`) includes *every* item of the pack, the questions of listening lessons
too, although the served policy never draws those in practice (they ask about a story,
which their lesson tells just before them: ``QuestionBank.needs_story`` in
`yachay.tutor.bank`). The simulation still draws them, so a run on a pack with stories
(``comunicacion-escucha``) practises questions the phone would not ask; the numbers below
and in the README come from the default curriculum and are unchanged by this.

The student model
-----------------
Each student has a hidden knowledge ``k`` in [0, 1] per skill.

*Answers.* An item has a difficulty level 1–5 (known to everyone) and a hidden offset
``delta = 0.05 + 0.175 (level - 1) + noise`` (sd 0.04: items of one level differ).
``P(right) = guess + (1 - guess - slip) q`` with ``q = sigmoid(10 (k - delta))``: keypad
questions are right a quarter of the time by chance (guess 0.25) and children slip (0.08).
A skill is **mastered** when the mean true P(right) over its items reaches 0.8 — the
policy's own definition, measured on the truth (about k = 0.7 when the items spread over
the five levels).

*Learning.* Every answered question is followed by its explanation, so right and wrong
answers both teach: ``k += rate * prereq * zpd * (1 - k)``.

- ``rate`` is the student's learning rate, log-normal (sd 0.35) around 0.075: about twenty
  well-chosen questions take a skill from scratch to mastery.
- ``prereq = 0.15 + 0.85 * mean over prerequisites of min(1, k_p / 0.7)``: a skill whose
  prerequisites are unknown is learned slowly.
- ``zpd``, the zone of proximal development: learning is fastest on items the child can
  nearly do. ``zpd = 0.1 + 0.9 exp(-((q - 0.7) / 0.3)^2)``: an item the child already
  masters teaches less, one far above the child's level teaches little. This assumption is
  what makes choosing items matter at all; it rests on the same literature as the policy's
  band (Vygotsky; Wilson et al. 2019, "The eighty five percent rule for optimal
  learning"). Adaptive and oracle aim at the band through their predictions, fixed and
  random do not; with a flatter or shifted zone the advantage shrinks (try
  ``--zpd-width`` and ``--zpd-centre``).

*Forgetting.* Between practices knowledge decays towards half its peak:
``k = floor + (k - floor) exp(-days / tau)``, ``floor = 0.5 peak``. ``tau`` starts at 12
days for new learning and grows 1.6-fold for each further day the skill is practised
(the spacing effect), up to a year; what a child knew before (earlier grades) has a tau of
a year.

*Students.* Grades 1–6, uniformly. Skills of earlier grades are known (k 0.85–0.97) with
probability 0.85 when their prerequisites are known and 0.3 when not (gaps pile up along
the prerequisite graph), otherwise they are gaps (k 0.2–0.6); skills of the student's
grade start at 0–0.3, later grades at 0–0.1. Each day a student calls with probability
0.85 and answers 8–12 questions (a few minutes: 30 seconds a question with its
explanation) in practice rounds of five, as on the phone. Response times shrink with
competence, right or wrong (they feed the FSRS ratings and the adaptive predictor).

The filter rows' predictor
--------------------------
`SkillFilter`, a multi-level Bayesian knowledge tracing per skill: a belief over a latent
ability, an item-response emission by difficulty level, Bayes after each answer and a
chance to move up after practice. It knows nothing of prerequisites or forgetting and
never sees ``k``. Its parameters (the logit step between levels, how fast ability grows,
and a prior for skills below, at and above the student's grade) are fitted by log loss on
the answers of a separate warm-up cohort (`SimConfig.warmup_students`, other seeds) that
practised random questions for two weeks — as production fits its model on logged
answers. It also reads response times through a `QuickRule` (an answer within a time line
is *quick*, more likely the abler the child), whose line, slope and offset, and whether
wrong answers count, are fitted the same way, after the rest. The fit is reported with the
results. Until 2026-12-05 this filter drove the ``adaptive`` row; the measurements below
that name "adaptive" are of the filter row.

That model was tried here in the filter's place (``dkt+f`` through the real trainer, on
logged answers only; 2026-11-28, 100 students): trained on the warm-up cohort's random
practice it drove adaptive to 1.1-1.2 skills mastered per hour, retrained on the students it
taught to 2.2-2.3, against the filter's 2.3. Its next-answer AUC is no worse than the
filter's, but the policy also needs the questions it has not asked: mastery is the mean
over all of a skill's questions, and there the model's estimates follow the truth far less
(correlation 0.54-0.75, the filter 0.87). Structure across a skill's questions (difficulty,
skill) and the student's grade, which the filter has, are what the serving model lacks.

Again with response times (60 students, seed 0; skills mastered per hour, the timed filter
2.97, fixed 1.46): ``dkt+f`` trained on 300 other children's random practice, 1.41 reading
times against 1.19 without; retrained with the answers of 300 children it taught, 2.00
against 1.86. The times help the served model's decisions too, and it still lacks the
filter's structure. Neither difficulty nor grade is that structure: given each question's
level as an input (in place of the skill's last time) it did no better (1.25 and 2.00; its
item embeddings learn difficulty from the answers), nor given the skill's grade relative
to the student's, which the filter's priors read (1.23 and 1.98). The likeliest difference
left (not tested) is that the filter pools a skill's evidence into one ability that every
question of the skill reads.

Pooling tried as a served model (2026-12-05, 10 students, 14 days, seed 0; skills
mastered per hour: filter row 3.17, fixed 2.57, production with ``dkt+f`` 1.58): a
logistic model on the whole-history per-skill counts with a per-question offset
(``pool+f``) decided no better (1.58; holdout AUC 0.62 against 0.68), and the filter
itself as a gradient-trained model (a belief per skill on a grid, per-question
difficulties, a per-skill prior, learned jumps, a log-normal response-time likelihood)
did better but far from the filter row (1.88; AUC 0.67). Neither was kept. What that
model lacked of the filter is what the answer log does not carry: the questions' known
difficulty levels (it learns a difficulty per question from a few answers each) and the
student's grade (the filter's priors for skills below, at and above it).

The decision path is not what loses. Driven through the production row's path
(`ProductionPolicy`, the weekly schedule), with the filter refitted every week on the
logged answers and the children's grades in the model's place (same run: 10 students, 14
days, seed 0), the policy mastered 3.47 skills per hour (final mastery 0.636), as well as
the filter row; with that filter deciding mastery and ``dkt+f`` shaping the choice within
a skill (each candidate's probability the filter's plus the model's difference from its
mean over the skill's candidates), the same 3.47 (0.629). At full size (100 students, 30
days) the weekly refitted filter alone (``--policy adaptive-refit``) masters 2.66 and 2.51
skills per hour (seeds 0 and 1; final mastery 0.686 and 0.690): 1.8x and 1.7x the
textbook, 0.59 and 0.54 of the oracle, short of the filter fitted once on the warm-up
cohort's random practice (2.98). Refitted on the answers the
policy chose, the fitted priors move (at the student's grade from -2 to -1, below it from
2 to 1).

Production before the filter decided, 100 students, 30 days (2026-12-05; seeds 0 and 1):
1.71 and 1.77 skills mastered per hour against the textbook's 1.46 and 1.49 and the filter
row's 2.98 and 2.98; holdout AUC of the served model 0.68 on the warm-up cohort, 0.72-0.73
after the weekly retrainings.

The filter served (2026-12-05, later): `yachay tutor train` fits it with each version
(`yachay.tutor.decider`), the gate compares it too, and `TutorService` answers with it for
the bank's questions with the child's grade. Production, same runs: 2.66 and 2.48 skills
mastered per hour (final mastery 0.686 and 0.690), 1.82x and 1.66x the textbook, 0.59 and
0.53 of the oracle. The gate promoted every weekly filter on seed 0 (filter holdout AUC
0.80 on the warm-up cohort, then 0.74, 0.71, 0.70, 0.69 on the children's answers) and
held back two on seed 1. Which refitted numbers cost the difference to the filter row
(seed 0, the production path with the filter alone, refitted weekly but keeping some
numbers from the first fit): keeping none, 2.66; keeping the priors, 2.66; keeping the
response-time rule, 2.85; keeping step, learning rate and jump, 2.82; keeping all but the
priors, 2.98 (seed 1: 2.99). On the policy's own answers the fit finds faster learning
(jump 1 -> 2) and moves the quick line, and the filter then calls skills mastered sooner
than it should. Choosing step, learning rate and jump by the answers that test retention
(the first answer on a skill in a later call) instead of all answers: 2.76 (seed 0); the
fit still finds jump 2, then 4. The refitted quick line wanders (5.7 s, 8.6 s, 6.4 s,
8.5 s). What the adaptive policy's answers show is real: children taught at the edge of
what they can do learn faster. A skill stopped right at the mastery line
decays below it by the last day, and a filter that believes in slower learning practises
past the line, which forgetting rewards. A filter that forgets (its belief drifting down
with the days since a skill's last answer and up to the decision's time, the rate chosen
from 0-0.2 a day with the rest; an experiment outside the code base) did a little better,
2.76 and 2.72 (seeds 0 and 1): the fit mostly chose no forgetting, as a day's loss is
small next to what an answer says. Not kept. A margin on the mastery line instead (the
production path, the filter refitted weekly, seed 0): 0.85 in place of 0.8 gives 2.70 with
a lower final mastery (0.679), 0.9 gives 2.09. Asking once more in a later call about a
skill that crossed the line (evidence after a night, which is what the last day measures;
a plain "answered in two calls" changes nothing, as a skill takes two or more calls
anyway) was tried next, below.

What production runs since (2026-12-05, the last of that day; 100 students, 30 days,
seeds 0 and 1; skills mastered per hour against fixed 1.46 and 1.49, oracle 4.54 and
4.68). Three changes, each measured on an experiment harness of the production path with
the filter alone refitted weekly (22 s a run):

- Keeping the served filter's dynamics and refitting only its priors (above): 2.66 ->
  2.94 and 2.51 -> 2.99.
- At most one review question a round (`PolicyConfig.max_reviews`, before: as many as
  were due): with the filter fitted once, 2.98 -> 3.03 and 2.98 -> 3.04; with the kept
  dynamics, 2.94 -> 2.98 and 2.99 -> 3.05 (with the filter fitted once, two a round: 3.00
  and 3.01; none: 2.64 and 2.15). The oracle has no reviews.
- A skill that crossed the mastery line in its last sitting asked once more in a later
  one (`yachay.tutor.confirm`, before any review and sharing the one slot): 2.98 -> 2.97
  and 3.05 -> 3.12, final mastery 0.683 -> 0.684 and 0.694 -> 0.697 (with the whole
  filter refitted weekly: 2.67 -> 2.97 and 2.60 -> 2.86). Kept in its own slot beyond the
  one review: 2.97 and 3.08. A version that remembered when each skill crossed (state
  outside the history) did about the same (2.99 and 3.16); one that read the last day's
  answers only (a skill is settled when its last day brought at most two answers, all
  right) less well (2.94 and 3.06).

Tried on the same harness and not kept: a wider prior (spread 2.0: 2.94, 3.01) or a
narrower one (1.0: 2.82, 2.95); the filter's slip at the simulator's 0.08 (2.83, 2.87);
mastery at 0.78 or 0.82 (2.90 and 2.86; 2.78 and 2.99, with the filter fitted once);
fewer or more checks of presumed skills, and a minimum of 2 or 5 answers before mastery
(within 0.05). Three skills a round in place of two (3.04 and 3.25) and the last 10
answers instead of 20 and 12 hours kept from coming back (3.08 and 3.14) teach more, but
the oracle gains as much or more with them (4.75 and 5.16; 4.82 and 4.97), so they are not
what separates the two.

The production row with the three (`yachay tutor simulate --students 100`, the real
training, gate and serving): 3.05 and 3.18 skills mastered per hour, 2.09x and 2.13x the
textbook, 0.67 and 0.68 of the oracle, final mastery 0.687 and 0.699; the filter row
3.01 and 3.11; the adaptive-refit row 2.97 and 2.82.

Metrics (per policy)
--------------------
- **skills mastered per hour of calls**: skills mastered at the end minus at the start,
  summed over students, over the hours of calls (the same hours for every policy);
- **final mastery**: mean true k over the skills of the student's grade and below, the
  morning after the last day;
- the share of those skills mastered, and the rate of right answers in practice.

Reading the oracle ratio: the oracle can stop practising a skill the very question it
crosses the mastery line, which the count of skills mastered rewards fully; any policy
that must infer knowledge from a few keypad answers practises past the line (or stops
short). Final mastery is the gentler comparison.

Where adaptive loses to the oracle was measured, before it read response times, by giving
it the truth for one decision at a time (2026-11-28, 60 students, seed 0, skills newly
mastered: adaptive 303, oracle 613):

- Truth for every mastery decision (when to stop; which earlier skills are gaps): 433.
- Truth for the choice of item within a skill: no gain.
- A skill adaptive wins takes 24-26 questions to cross the line and 13 more before the
  filter agrees; the oracle takes 20-22, then 3-4 (the rest of a planned round).
- The filter's estimate runs about 0.1 below the truth, yet stopping earlier loses
  (at-grade thresholds of 0.75 / 0.70 on the estimate: 266 / 223). A skill stopped right
  at the line decays below it by the last day, and the filter, which knows no forgetting,
  does not see that.
- A filter that knows the simulated students' true model, but not their state, did no
  better than the fitted one.

So the gap is information. A few right or wrong answers near p = 0.8 say little about
whether a skill has just been mastered. Response times say more: reading them, adaptive
masters 26-30% more skills per hour than adaptive-untimed (seeds 0 and 1, 100 students:
0.66 and 0.64 of the oracle, against 0.52 and 0.49). The fit reads the times of wrong
answers too (in this world a response time depends on competence, right or wrong); read
only on right answers, the gain was 14%. A finer reading of the times (three bins, a
cumulative-logit likelihood, fitted the same way) predicted the warm-up answers better but
taught worse (0.57 of the oracle against 0.63, 60 students, seed 0): a better next-answer
log loss is not a better stopping rule.

Even given the truth for every mastery decision and for the choice of item, the adaptive
policy reached 0.75 of the oracle (463 of 613 above, without times): the oracle also
needs no checks and no reviews (it sees forgetting) and no evidence before calling a skill
mastered. Against that bound, adaptive with response times is at about 0.85.
"""

from yachay.tutor.filter_fit import FILTER_GRID, fit_quick_rule, fit_skill_filter
from yachay.tutor.simulation.policies import POLICIES, POLICY_NAMES, PRODUCTION
from yachay.tutor.simulation.run import PolicyResult, SimReport, simulate, warmup_histories
from yachay.tutor.simulation.teaching import Call, call_schedule, run_student
from yachay.tutor.simulation.world import (
    Curriculum,
    SimConfig,
    Student,
    StudentModel,
    World,
    pack_curriculum,
    synthetic_curriculum,
    with_model,
)
from yachay.tutor.skill_filter import QuickRule, SkillFilter

__all__ = [
    "FILTER_GRID",
    "POLICIES",
    "POLICY_NAMES",
    "PRODUCTION",
    "Call",
    "Curriculum",
    "PolicyResult",
    "QuickRule",
    "SimConfig",
    "SimReport",
    "SkillFilter",
    "Student",
    "StudentModel",
    "World",
    "call_schedule",
    "fit_quick_rule",
    "fit_skill_filter",
    "pack_curriculum",
    "run_student",
    "simulate",
    "synthetic_curriculum",
    "warmup_histories",
    "with_model",
]
