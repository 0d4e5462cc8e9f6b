-- Judge0 answers a submission's `command_line_arguments` as it was sent (GET ?fields=*); the
-- execution keeps them only split into words inside its job.
ALTER TABLE judge0_submissions ADD COLUMN command_line_arguments TEXT;
