// name: shared_devices
// description: Devices (laptop serials, hardware ids) used by several people.
// params: min_members=2, max_members=20
// returns: device, members, entity_ids
MATCH (p:Person)-[:USES_DEVICE]->(d:Device)
WITH d, collect(DISTINCT p.entity_id) AS entity_ids
WHERE size(entity_ids) >= $min_members AND size(entity_ids) <= $max_members
RETURN d.value AS device, size(entity_ids) AS members, entity_ids
ORDER BY members DESC, device
