// name: shared_accounts
// description: Accounts (bank, IBAN, payment handle, wallet) used by several people or companies.
// params: min_members=2, max_members=20
// returns: account, kind, members, entity_ids
MATCH (e)-[:HAS_ACCOUNT]->(a:Account)
WHERE e:Person OR e:Company
WITH a, collect(DISTINCT e.entity_id) AS entity_ids
WHERE size(entity_ids) >= $min_members AND size(entity_ids) <= $max_members
RETURN a.value AS account, a.kind AS kind, size(entity_ids) AS members, entity_ids
ORDER BY members DESC, account
