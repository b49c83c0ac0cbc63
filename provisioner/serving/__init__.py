"""Model serving on the fleet: the default v2 model server and the user data that boots an instance."""
