-- Graded submissions (README, "Grading"): the request's tests, checker and stopOnFirstFailure
-- as the job carries them (so a re-queued job is graded the same), and the per-test results
-- the agent reported (name, status, time, memory, exit code, signal, capped output).
ALTER TABLE executions ADD COLUMN grading JSONB;
ALTER TABLE executions ADD COLUMN test_results JSONB;
