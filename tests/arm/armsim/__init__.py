"""A local HTTPS server that behaves like Entra ID + Azure Resource Manager
(Microsoft.Compute disks and snapshots), for snapkeep's tests. Standard
library only. Start it through tests/arm/serve; see tests/arm/README.md."""
