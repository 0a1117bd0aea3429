"""The flight catalogue: airports, flights, fares, bundles, seat maps, search."""
