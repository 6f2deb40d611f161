"""Scale-out (issue 18): several processes on one PostgreSQL database, one leader."""
