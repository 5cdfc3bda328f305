-- Runs still marked 'running' while we hold the job's advisory lock cannot be running: their
-- process died (kill, crash, lost connection) before it could record the end. $1 job
UPDATE job_runs
SET status = 'failed',
    finished_at = clock_timestamp(),
    error = 'abandoned: the process running it stopped or lost its connection before the run ended'
WHERE job = $1 AND status = 'running';
