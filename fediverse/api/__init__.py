"""The Mastodon client API: the entities apps decode and the endpoints they call, on the social core's services."""
