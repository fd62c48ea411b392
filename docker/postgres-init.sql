-- The application's role owns its database but is neither a superuser nor BYPASSRLS, so row-level
-- security applies to it (the tables force RLS for their owner too).
CREATE ROLE modai LOGIN PASSWORD 'modai' NOSUPERUSER NOBYPASSRLS;
CREATE DATABASE modai OWNER modai;
