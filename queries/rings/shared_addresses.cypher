// name: shared_addresses
// description: Addresses that several people live at, ship equipment to, or register a company at.
// params: min_members=2, max_members=20, limit=100
// returns: address, members, entity_ids, names, hub
// hub: true when more than max_members share it; its lists then hold the first max_members
MATCH (e)-[:LIVES_AT|SHIPS_TO|REGISTERED_AT]->(ad:Address)
WHERE e:Person OR e:Company
WITH DISTINCT ad, e
ORDER BY e.entity_id
WITH ad, collect(e.entity_id) AS ids, collect(e.name) AS occupants
WHERE size(ids) >= $min_members
RETURN ad.value AS address, size(ids) AS members, ids[..$max_members] AS entity_ids,
       occupants[..$max_members] AS names, size(ids) > $max_members AS hub
ORDER BY hub, members DESC, address
LIMIT $limit
