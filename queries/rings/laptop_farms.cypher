// name: laptop_farms
// description: Addresses receiving equipment for several people who say they live elsewhere.
// params: min_members=3, max_members=20, limit=100
// returns: address, members, entity_ids, names, hub
// hub: true when more than max_members ship there; its lists then hold the first max_members
MATCH (p:Person)-[:SHIPS_TO]->(ad:Address)
WHERE NOT (p)-[:LIVES_AT]->(ad)
WITH DISTINCT ad, p
ORDER BY p.entity_id
WITH ad, collect(p.entity_id) AS ids, collect(p.name) AS people
WHERE size(ids) >= $min_members
RETURN ad.value AS address, size(ids) AS members, ids[..$max_members] AS entity_ids,
       people[..$max_members] AS names, size(ids) > $max_members AS hub
ORDER BY hub, members DESC, address
LIMIT $limit
