"""Bolt writer and reader, query-pack runner, embedded server launcher, neo4j-admin export."""
