// name: member_neighbourhood
// description: Who shares something with one entity (a person or company id, or a record id): each shared identifier, employer, payee or sanctions entry, and the entities behind it; hubs left out.
// params: entity=person:P000001, max_share=20, limit=100
// returns: entity, entity_name, via, via_label, via_value, shared_by, neighbour, neighbour_name
// entity: an entity id (person:…, company:…), a record id (P000123) or a record key (Record:people:P000123); a record stands for the entity it resolved to; every start is an index lookup on key
// via: the node both share (an identifier, a company that employs or pays both, a sanctions entry), shared by shared_by entities; nodes shared by more than max_share entities (offices, carrier IPs, big employers) are hubs and left out
OPTIONAL MATCH (person:Person {key: $entity})
OPTIONAL MATCH (company:Company {key: $entity})
OPTIONAL MATCH (record:Record)-[:RESOLVED_TO]->(by_record)
WHERE record.key IN [$entity, 'Record:people:' + $entity, 'Record:payroll:' + $entity,
                     'Record:shipments:' + $entity, 'Record:logins:' + $entity,
                     'Record:companies:' + $entity]
WITH collect(person) + collect(company) + collect(by_record) AS found
UNWIND found AS e
WITH DISTINCT e
MATCH (e)--(via)
WHERE NOT via:Record
WITH DISTINCT e, via
MATCH (via)--(holder)
WHERE holder:Person OR holder:Company
WITH DISTINCT e, via, holder
WITH e, via, collect(holder) AS holders
WHERE size(holders) <= $max_share
UNWIND holders AS n
WITH e, via, size(holders) AS shared_by, n
WHERE n <> e
RETURN e.key AS entity, e.name AS entity_name, via.key AS via, labels(via)[0] AS via_label,
       coalesce(via.value, via.name) AS via_value, shared_by, n.key AS neighbour,
       n.name AS neighbour_name
ORDER BY entity, shared_by, via, neighbour
LIMIT $limit
