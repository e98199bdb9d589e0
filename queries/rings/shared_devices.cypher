// name: shared_devices
// description: Devices (laptop serials, hardware ids) used by several people.
// params: min_members=2, max_members=20, limit=100
// returns: device, members, entity_ids, names, hub
// hub: true when more than max_members share it; its lists then hold the first max_members
MATCH (p:Person)-[:USES_DEVICE]->(d:Device)
WITH DISTINCT d, p
ORDER BY p.entity_id
WITH d, collect(p.entity_id) AS ids, collect(p.name) AS people
WHERE size(ids) >= $min_members
RETURN d.value AS device, size(ids) AS members, ids[..$max_members] AS entity_ids,
       people[..$max_members] AS names, size(ids) > $max_members AS hub
ORDER BY hub, members DESC, device
LIMIT $limit
