"""Client for the MyUnisoft API Partenaires."""
