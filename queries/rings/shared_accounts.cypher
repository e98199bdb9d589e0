// name: shared_accounts
// description: Accounts (bank, IBAN, payment handle, wallet) held by several people or companies.
// params: min_members=2, max_members=20, limit=100
// returns: account, kind, members, entity_ids, names, hub
// hub: true when more than max_members share it; its lists then hold the first max_members
MATCH (e)-[:HAS_ACCOUNT]->(a:Account)
WHERE e:Person OR e:Company
WITH DISTINCT a, e
ORDER BY e.entity_id
WITH a, collect(e.entity_id) AS ids, collect(e.name) AS holders
WHERE size(ids) >= $min_members
RETURN a.value AS account, a.kind AS kind, size(ids) AS members,
       ids[..$max_members] AS entity_ids, holders[..$max_members] AS names,
       size(ids) > $max_members AS hub
ORDER BY hub, members DESC, account
LIMIT $limit
