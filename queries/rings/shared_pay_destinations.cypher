// name: shared_pay_destinations
// description: Accounts into which the pay of several people goes (paid people only).
// params: min_members=2, max_members=20
// returns: account, kind, members, entity_ids, payers
MATCH (payer:Company)-[:PAYS]->(p:Person)-[:HAS_ACCOUNT]->(a:Account)
WITH a, collect(DISTINCT p.entity_id) AS entity_ids, collect(DISTINCT payer.name) AS payers
WHERE size(entity_ids) >= $min_members AND size(entity_ids) <= $max_members
RETURN a.value AS account, a.kind AS kind, size(entity_ids) AS members, entity_ids, payers
ORDER BY members DESC, account
