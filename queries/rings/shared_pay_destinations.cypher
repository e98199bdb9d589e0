// name: shared_pay_destinations
// description: Accounts into which the pay of several people goes, with who pays them.
// params: min_members=2, max_members=20, limit=100
// returns: account, kind, members, entity_ids, names, payers, hub
// payers: names of the companies paying those people, sorted (all of them, even for a hub)
// hub: true when more than max_members are paid there; entity_ids and names then hold the first max_members
MATCH (:Company)-[:PAYS]->(p:Person)-[:HAS_ACCOUNT]->(a:Account)
WITH DISTINCT a, p
ORDER BY p.entity_id
WITH a, collect(p.entity_id) AS ids, collect(p.name) AS people
WHERE size(ids) >= $min_members
MATCH (payer:Company)-[:PAYS]->(:Person)-[:HAS_ACCOUNT]->(a)
WITH DISTINCT a, ids, people, payer.name AS payer
ORDER BY payer
WITH a, ids, people, collect(payer) AS payers
RETURN a.value AS account, a.kind AS kind, size(ids) AS members,
       ids[..$max_members] AS entity_ids, people[..$max_members] AS names, payers,
       size(ids) > $max_members AS hub
ORDER BY hub, members DESC, account
LIMIT $limit
