// name: member_neighbourhood
// description: Everything within two hops of one entity: its identifiers and who shares them.
// params: entity_id=person:P000001
// returns: identifier, label, neighbour, neighbour_name
MATCH (e {entity_id: $entity_id})-[]->(i)<-[]-(n)
WHERE (n:Person OR n:Company) AND n.entity_id <> $entity_id
RETURN i.key AS identifier, labels(i)[0] AS label, n.entity_id AS neighbour,
       n.name AS neighbour_name
ORDER BY identifier, neighbour
