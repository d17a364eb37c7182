// Generated from openapi/etiquette.openapi.json; a test checks that both are identical.

/// The OpenAPI 3.1 document served at `/openapi.json`.
enum OpenAPIDocument {
  static let json = #"""
    {
      "openapi": "3.1.0",
      "info": {
        "title": "Etiquette inbox server",
        "version": "1.0.0",
        "description": "WhatsApp Cloud API intake, integration events and a REST API where every read and write is checked against the rules' team access. A conversation the member may not view answers 404, not 403."
      },
      "servers": [
        {
          "url": "http://127.0.0.1:8080"
        }
      ],
      "paths": {
        "/healthz": {
          "get": {
            "summary": "Liveness",
            "tags": [
              "operations"
            ],
            "responses": {
              "200": {
                "description": "OK",
                "content": {
                  "application/json": {
                    "schema": {
                      "type": "object"
                    }
                  }
                }
              }
            }
          }
        },
        "/metrics": {
          "get": {
            "summary": "Prometheus metrics (messages in, decisions, rule reloads, latency)",
            "tags": [
              "operations"
            ],
            "responses": {
              "200": {
                "description": "Prometheus text format",
                "content": {
                  "text/plain": {
                    "schema": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        },
        "/openapi.json": {
          "get": {
            "summary": "This document",
            "tags": [
              "operations"
            ],
            "responses": {
              "200": {
                "description": "OK",
                "content": {
                  "application/json": {
                    "schema": {
                      "type": "object"
                    }
                  }
                }
              }
            }
          }
        },
        "/webhooks/whatsapp": {
          "get": {
            "summary": "Meta's subscription handshake",
            "tags": [
              "whatsapp"
            ],
            "responses": {
              "200": {
                "description": "The challenge, as plain text",
                "content": {
                  "text/plain": {
                    "schema": {
                      "type": "string"
                    }
                  }
                }
              },
              "403": {
                "description": "Wrong mode or verify token"
              }
            },
            "parameters": [
              {
                "name": "hub.mode",
                "in": "query",
                "required": false,
                "schema": {
                  "type": "string"
                },
                "description": ""
              },
              {
                "name": "hub.verify_token",
                "in": "query",
                "required": false,
                "schema": {
                  "type": "string"
                },
                "description": ""
              },
              {
                "name": "hub.challenge",
                "in": "query",
                "required": false,
                "schema": {
                  "type": "string"
                },
                "description": ""
              }
            ]
          },
          "post": {
            "summary": "A webhook of the WhatsApp Cloud API, signed with X-Hub-Signature-256",
            "tags": [
              "whatsapp"
            ],
            "responses": {
              "200": {
                "description": "Stored (and processed)"
              },
              "400": {
                "$ref": "#/components/responses/Error"
              },
              "401": {
                "$ref": "#/components/responses/Error"
              },
              "413": {
                "description": "Body over the size limit (10 MB)"
              }
            },
            "parameters": [
              {
                "name": "X-Hub-Signature-256",
                "in": "header",
                "required": true,
                "schema": {
                  "type": "string",
                  "pattern": "^sha256=[0-9a-f]{64}$"
                }
              }
            ],
            "requestBody": {
              "required": true,
              "content": {
                "application/json": {
                  "schema": {
                    "type": "object",
                    "required": [
                      "entry"
                    ]
                  }
                }
              }
            }
          }
        },
        "/v1/events": {
          "post": {
            "summary": "An integration event declared in the rules",
            "tags": [
              "integrations"
            ],
            "responses": {
              "200": {
                "description": "The conversation and the decision"
              },
              "422": {
                "$ref": "#/components/responses/Error"
              },
              "401": {
                "$ref": "#/components/responses/Error"
              }
            },
            "security": [
              {
                "integrationKey": []
              }
            ],
            "parameters": [
              {
                "name": "Idempotency-Key",
                "in": "header",
                "required": false,
                "schema": {
                  "type": "string"
                }
              }
            ],
            "requestBody": {
              "required": true,
              "content": {
                "application/json": {
                  "schema": {
                    "type": "object",
                    "required": [
                      "contact",
                      "event"
                    ],
                    "properties": {
                      "contact": {
                        "type": "object",
                        "properties": {
                          "phone": {
                            "type": "string"
                          },
                          "user_id": {
                            "type": "string"
                          },
                          "name": {
                            "type": "string"
                          }
                        }
                      },
                      "event": {
                        "type": "string"
                      },
                      "fields": {
                        "type": "object"
                      }
                    }
                  }
                }
              }
            }
          }
        },
        "/v1/me": {
          "get": {
            "summary": "The member's rights, in words and as data",
            "tags": [
              "members"
            ],
            "responses": {
              "200": {
                "description": "OK",
                "content": {
                  "application/json": {
                    "schema": {
                      "type": "object"
                    }
                  }
                }
              },
              "401": {
                "$ref": "#/components/responses/Error"
              }
            },
            "security": [
              {
                "memberToken": []
              }
            ]
          }
        },
        "/v1/rules/reload": {
          "post": {
            "summary": "Check, compile and swap the rules (manage only)",
            "tags": [
              "rules"
            ],
            "responses": {
              "200": {
                "description": "Reloaded"
              },
              "403": {
                "$ref": "#/components/responses/Error"
              },
              "422": {
                "description": "Refused: the diagnostics as JSON; the old rules keep serving"
              },
              "401": {
                "$ref": "#/components/responses/Error"
              }
            },
            "security": [
              {
                "memberToken": []
              }
            ]
          }
        },
        "/v1/conversations": {
          "get": {
            "summary": "Conversations the member may view",
            "tags": [
              "conversations"
            ],
            "responses": {
              "200": {
                "description": "A page",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/ConversationPage"
                    }
                  }
                }
              },
              "400": {
                "$ref": "#/components/responses/Error"
              },
              "401": {
                "$ref": "#/components/responses/Error"
              }
            },
            "security": [
              {
                "memberToken": []
              }
            ],
            "parameters": [
              {
                "name": "label",
                "in": "query",
                "required": false,
                "schema": {
                  "type": "string"
                },
                "description": ""
              },
              {
                "name": "unread",
                "in": "query",
                "required": false,
                "schema": {
                  "type": "boolean"
                },
                "description": ""
              },
              {
                "name": "mode",
                "in": "query",
                "required": false,
                "schema": {
                  "type": "string"
                },
                "description": ""
              },
              {
                "name": "assignee",
                "in": "query",
                "required": false,
                "schema": {
                  "type": "string"
                },
                "description": ""
              },
              {
                "name": "q",
                "in": "query",
                "required": false,
                "schema": {
                  "type": "string"
                },
                "description": "Full-text search of the transcript and contact name"
              },
              {
                "name": "sort",
                "in": "query",
                "schema": {
                  "type": "string",
                  "enum": [
                    "recent",
                    "priority"
                  ]
                }
              },
              {
                "name": "cursor",
                "in": "query",
                "required": false,
                "schema": {
                  "type": "string"
                },
                "description": ""
              },
              {
                "name": "limit",
                "in": "query",
                "required": false,
                "schema": {
                  "type": "integer"
                },
                "description": ""
              }
            ]
          }
        },
        "/v1/conversations/{id}": {
          "get": {
            "summary": "Contact, transcript, labels with reasons, notes, mode, assignee, priority, read state",
            "tags": [
              "conversations"
            ],
            "responses": {
              "200": {
                "description": "The conversation"
              },
              "404": {
                "$ref": "#/components/responses/Error"
              },
              "401": {
                "$ref": "#/components/responses/Error"
              }
            },
            "security": [
              {
                "memberToken": []
              }
            ],
            "parameters": [
              {
                "name": "id",
                "in": "path",
                "required": true,
                "schema": {
                  "type": "string"
                }
              }
            ]
          }
        },
        "/v1/conversations/{id}/messages": {
          "post": {
            "summary": "Reply; stored as outgoing and queued (needs reply)",
            "tags": [
              "conversations"
            ],
            "responses": {
              "200": {
                "description": "The decision of the step",
                "content": {
                  "application/json": {
                    "schema": {
                      "type": "object"
                    }
                  }
                }
              },
              "403": {
                "$ref": "#/components/responses/Error"
              },
              "404": {
                "$ref": "#/components/responses/Error"
              },
              "201": {
                "description": "Queued"
              },
              "401": {
                "$ref": "#/components/responses/Error"
              }
            },
            "security": [
              {
                "memberToken": []
              }
            ],
            "parameters": [
              {
                "name": "id",
                "in": "path",
                "required": true,
                "schema": {
                  "type": "string"
                }
              }
            ],
            "requestBody": {
              "required": true,
              "content": {
                "application/json": {
                  "schema": {
                    "type": "object",
                    "required": [
                      "text"
                    ],
                    "properties": {
                      "text": {
                        "type": "string"
                      }
                    }
                  }
                }
              }
            }
          }
        },
        "/v1/conversations/{id}/labels": {
          "post": {
            "summary": "Add a label (needs reply)",
            "tags": [
              "conversations"
            ],
            "responses": {
              "200": {
                "description": "The decision of the step",
                "content": {
                  "application/json": {
                    "schema": {
                      "type": "object"
                    }
                  }
                }
              },
              "403": {
                "$ref": "#/components/responses/Error"
              },
              "404": {
                "$ref": "#/components/responses/Error"
              },
              "422": {
                "$ref": "#/components/responses/Error"
              },
              "401": {
                "$ref": "#/components/responses/Error"
              }
            },
            "security": [
              {
                "memberToken": []
              }
            ],
            "parameters": [
              {
                "name": "id",
                "in": "path",
                "required": true,
                "schema": {
                  "type": "string"
                }
              }
            ],
            "requestBody": {
              "required": true,
              "content": {
                "application/json": {
                  "schema": {
                    "type": "object",
                    "required": [
                      "label"
                    ],
                    "properties": {
                      "label": {
                        "type": "string"
                      }
                    }
                  }
                }
              }
            }
          }
        },
        "/v1/conversations/{id}/labels/{label}": {
          "delete": {
            "summary": "Remove a label (needs reply)",
            "tags": [
              "conversations"
            ],
            "responses": {
              "200": {
                "description": "The decision of the step",
                "content": {
                  "application/json": {
                    "schema": {
                      "type": "object"
                    }
                  }
                }
              },
              "403": {
                "$ref": "#/components/responses/Error"
              },
              "404": {
                "$ref": "#/components/responses/Error"
              },
              "422": {
                "$ref": "#/components/responses/Error"
              },
              "401": {
                "$ref": "#/components/responses/Error"
              }
            },
            "security": [
              {
                "memberToken": []
              }
            ],
            "parameters": [
              {
                "name": "id",
                "in": "path",
                "required": true,
                "schema": {
                  "type": "string"
                }
              },
              {
                "name": "label",
                "in": "path",
                "required": true,
                "schema": {
                  "type": "string"
                }
              }
            ]
          }
        },
        "/v1/conversations/{id}/notes": {
          "post": {
            "summary": "Add an internal note; @email mentions are recorded (needs view)",
            "tags": [
              "conversations"
            ],
            "responses": {
              "200": {
                "description": "The decision of the step",
                "content": {
                  "application/json": {
                    "schema": {
                      "type": "object"
                    }
                  }
                }
              },
              "403": {
                "$ref": "#/components/responses/Error"
              },
              "404": {
                "$ref": "#/components/responses/Error"
              },
              "401": {
                "$ref": "#/components/responses/Error"
              }
            },
            "security": [
              {
                "memberToken": []
              }
            ],
            "parameters": [
              {
                "name": "id",
                "in": "path",
                "required": true,
                "schema": {
                  "type": "string"
                }
              }
            ],
            "requestBody": {
              "required": true,
              "content": {
                "application/json": {
                  "schema": {
                    "type": "object",
                    "required": [
                      "text"
                    ],
                    "properties": {
                      "text": {
                        "type": "string"
                      }
                    }
                  }
                }
              }
            }
          }
        },
        "/v1/conversations/{id}/handoff": {
          "post": {
            "summary": "Take over, transfer to the AI, or keep human mode and leave (needs reply)",
            "tags": [
              "conversations"
            ],
            "responses": {
              "200": {
                "description": "The decision of the step",
                "content": {
                  "application/json": {
                    "schema": {
                      "type": "object"
                    }
                  }
                }
              },
              "403": {
                "$ref": "#/components/responses/Error"
              },
              "404": {
                "$ref": "#/components/responses/Error"
              },
              "401": {
                "$ref": "#/components/responses/Error"
              }
            },
            "security": [
              {
                "memberToken": []
              }
            ],
            "parameters": [
              {
                "name": "id",
                "in": "path",
                "required": true,
                "schema": {
                  "type": "string"
                }
              }
            ],
            "requestBody": {
              "required": true,
              "content": {
                "application/json": {
                  "schema": {
                    "type": "object",
                    "required": [
                      "action"
                    ],
                    "properties": {
                      "action": {
                        "type": "string",
                        "enum": [
                          "take_over",
                          "transfer_to_ai",
                          "keep_human_and_leave"
                        ]
                      }
                    }
                  }
                }
              }
            }
          }
        },
        "/v1/conversations/{id}/read": {
          "post": {
            "summary": "Mark as read for the member (needs view)",
            "tags": [
              "conversations"
            ],
            "responses": {
              "200": {
                "description": "The decision of the step",
                "content": {
                  "application/json": {
                    "schema": {
                      "type": "object"
                    }
                  }
                }
              },
              "403": {
                "$ref": "#/components/responses/Error"
              },
              "404": {
                "$ref": "#/components/responses/Error"
              },
              "401": {
                "$ref": "#/components/responses/Error"
              }
            },
            "security": [
              {
                "memberToken": []
              }
            ],
            "parameters": [
              {
                "name": "id",
                "in": "path",
                "required": true,
                "schema": {
                  "type": "string"
                }
              }
            ]
          }
        },
        "/v1/conversations/{id}/unread": {
          "post": {
            "summary": "Mark as unread for the member (needs view)",
            "tags": [
              "conversations"
            ],
            "responses": {
              "200": {
                "description": "The decision of the step",
                "content": {
                  "application/json": {
                    "schema": {
                      "type": "object"
                    }
                  }
                }
              },
              "403": {
                "$ref": "#/components/responses/Error"
              },
              "404": {
                "$ref": "#/components/responses/Error"
              },
              "401": {
                "$ref": "#/components/responses/Error"
              }
            },
            "security": [
              {
                "memberToken": []
              }
            ],
            "parameters": [
              {
                "name": "id",
                "in": "path",
                "required": true,
                "schema": {
                  "type": "string"
                }
              }
            ]
          }
        },
        "/v1/media/{id}": {
          "get": {
            "summary": "A downloaded WhatsApp attachment (the attachment URLs of transcripts and webhook payloads point here)",
            "description": "Inbound media are resolved through the Graph API and downloaded in the background (size-limited, content type and SHA-256 checked). A member token sees only the media of conversations the member may view (404 otherwise); an integration key sees every media. 409 while the download is pending (with Retry-After), 410 when it failed for good, 503 when WhatsApp sending is not configured.",
            "tags": [
              "conversations"
            ],
            "parameters": [
              {
                "name": "id",
                "in": "path",
                "required": true,
                "description": "Meta's media id, as in the attachment URL",
                "schema": {
                  "type": "string"
                }
              }
            ],
            "security": [
              {
                "memberToken": []
              },
              {
                "integrationKey": []
              }
            ],
            "responses": {
              "200": {
                "description": "The file, with the Content-Type WhatsApp gave it",
                "headers": {
                  "Content-Type": {
                    "schema": {
                      "type": "string"
                    }
                  },
                  "ETag": {
                    "description": "The file's SHA-256 (hex), quoted",
                    "schema": {
                      "type": "string"
                    }
                  }
                },
                "content": {
                  "application/octet-stream": {
                    "schema": {
                      "type": "string",
                      "contentMediaType": "application/octet-stream"
                    }
                  }
                }
              },
              "401": {
                "$ref": "#/components/responses/Error"
              },
              "404": {
                "$ref": "#/components/responses/Error"
              },
              "409": {
                "description": "Not downloaded yet (`media_not_ready`); retry after Retry-After seconds",
                "headers": {
                  "Retry-After": {
                    "schema": {
                      "type": "integer"
                    }
                  }
                },
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Error"
                    }
                  }
                }
              },
              "410": {
                "$ref": "#/components/responses/Error"
              },
              "503": {
                "$ref": "#/components/responses/Error"
              }
            }
          }
        },
        "/v1/stream": {
          "get": {
            "summary": "Server-Sent Events for the conversations the member may view",
            "description": "Events: ready, message.created, message.status, label.added, label.removed, conversation.routed, handoff, note.added, ai.suggestion, ai.reply_discarded, read_state.changed (own), notification.created and notification.read (own), conversation.hidden (a label change removed the member's access; nothing more follows for that conversation). Each event has an id; idle streams get ': keep-alive' comments. A member may have 8 streams open (429 too_many_streams beyond); a stream ends when its token is revoked or its member leaves the rules.",
            "tags": [
              "realtime"
            ],
            "security": [
              {
                "memberToken": []
              }
            ],
            "responses": {
              "200": {
                "description": "An endless event stream",
                "content": {
                  "text/event-stream": {
                    "schema": {
                      "type": "string"
                    }
                  }
                }
              },
              "401": {
                "$ref": "#/components/responses/Error"
              },
              "429": {
                "$ref": "#/components/responses/Error"
              }
            }
          }
        },
        "/v1/conversations/{id}/suggestions": {
          "get": {
            "summary": "The AI's suggested replies, newest first (needs view)",
            "tags": [
              "conversations"
            ],
            "security": [
              {
                "memberToken": []
              }
            ],
            "parameters": [
              {
                "name": "id",
                "in": "path",
                "required": true,
                "schema": {
                  "type": "string"
                }
              }
            ],
            "responses": {
              "200": {
                "description": "Suggestions",
                "content": {
                  "application/json": {
                    "schema": {
                      "type": "object",
                      "required": [
                        "suggestions"
                      ],
                      "properties": {
                        "suggestions": {
                          "type": "array",
                          "items": {
                            "type": "object",
                            "required": [
                              "id",
                              "text",
                              "version",
                              "createdAt"
                            ],
                            "properties": {
                              "id": {
                                "type": "integer"
                              },
                              "text": {
                                "type": "string"
                              },
                              "version": {
                                "type": "integer",
                                "description": "The conversation version it was requested at"
                              },
                              "createdAt": {
                                "type": "string",
                                "format": "date-time"
                              }
                            }
                          }
                        }
                      }
                    }
                  }
                }
              },
              "401": {
                "$ref": "#/components/responses/Error"
              },
              "404": {
                "$ref": "#/components/responses/Error"
              }
            }
          }
        },
        "/v1/conversations/{id}/ai-replies": {
          "post": {
            "summary": "An AI agent's reply (members listed in ai_agents only)",
            "description": "Only where the engine asked the AI for a reply at that version (404 elsewhere, with nothing about the conversation); accepted while the conversation is still in ai mode, unassigned, at that version; otherwise 409 saying why (a takeover always wins).",
            "tags": [
              "conversations"
            ],
            "security": [
              {
                "memberToken": []
              }
            ],
            "parameters": [
              {
                "name": "id",
                "in": "path",
                "required": true,
                "schema": {
                  "type": "string"
                }
              }
            ],
            "requestBody": {
              "required": true,
              "content": {
                "application/json": {
                  "schema": {
                    "type": "object",
                    "required": [
                      "text",
                      "version"
                    ],
                    "properties": {
                      "text": {
                        "type": "string",
                        "maxLength": 4096
                      },
                      "version": {
                        "type": "integer",
                        "description": "The version the reply answers (from the ai.requested payload)"
                      }
                    }
                  }
                }
              }
            },
            "responses": {
              "201": {
                "description": "The reply is queued for sending",
                "content": {
                  "application/json": {
                    "schema": {
                      "type": "object",
                      "properties": {
                        "status": {
                          "type": "string",
                          "enum": [
                            "queued"
                          ]
                        },
                        "decision": {
                          "type": "object"
                        }
                      }
                    }
                  }
                }
              },
              "401": {
                "$ref": "#/components/responses/Error"
              },
              "403": {
                "$ref": "#/components/responses/Error"
              },
              "404": {
                "$ref": "#/components/responses/Error"
              },
              "422": {
                "$ref": "#/components/responses/Error"
              },
              "409": {
                "description": "Discarded: the conversation moved on since the request (the body says why; an agent may view no conversation, so the decision is not included)",
                "content": {
                  "application/json": {
                    "schema": {
                      "type": "object",
                      "required": [
                        "error"
                      ],
                      "properties": {
                        "error": {
                          "type": "object"
                        }
                      }
                    }
                  }
                }
              }
            }
          }
        },
        "/v1/notifications": {
          "get": {
            "summary": "The member's own notifications, newest first, with unread counts",
            "tags": [
              "notifications"
            ],
            "security": [
              {
                "memberToken": []
              }
            ],
            "parameters": [
              {
                "name": "unread",
                "in": "query",
                "schema": {
                  "type": "boolean"
                }
              },
              {
                "name": "limit",
                "in": "query",
                "schema": {
                  "type": "integer",
                  "minimum": 1,
                  "maximum": 200,
                  "default": 50
                }
              },
              {
                "name": "before",
                "in": "query",
                "description": "nextBefore of the previous page",
                "schema": {
                  "type": "integer"
                }
              }
            ],
            "responses": {
              "200": {
                "description": "A page of notifications",
                "content": {
                  "application/json": {
                    "schema": {
                      "type": "object",
                      "required": [
                        "notifications",
                        "unread",
                        "unreadByLabel"
                      ],
                      "properties": {
                        "notifications": {
                          "type": "array",
                          "items": {
                            "type": "object",
                            "required": [
                              "id",
                              "conversation",
                              "reason",
                              "priority",
                              "text",
                              "createdAt"
                            ],
                            "properties": {
                              "id": {
                                "type": "integer"
                              },
                              "conversation": {
                                "type": "string"
                              },
                              "reason": {
                                "type": "string",
                                "enum": [
                                  "team",
                                  "may_reply",
                                  "assignee_away",
                                  "mention"
                                ]
                              },
                              "team": {
                                "type": "string"
                              },
                              "priority": {
                                "type": "string"
                              },
                              "text": {
                                "type": "string"
                              },
                              "createdAt": {
                                "type": "string",
                                "format": "date-time"
                              },
                              "readAt": {
                                "type": "string",
                                "format": "date-time"
                              }
                            }
                          }
                        },
                        "unread": {
                          "type": "integer"
                        },
                        "unreadByLabel": {
                          "type": "object",
                          "additionalProperties": {
                            "type": "integer"
                          }
                        },
                        "nextBefore": {
                          "type": "integer"
                        }
                      }
                    }
                  }
                }
              },
              "400": {
                "$ref": "#/components/responses/Error"
              },
              "401": {
                "$ref": "#/components/responses/Error"
              }
            }
          }
        },
        "/v1/notifications/{id}/read": {
          "post": {
            "summary": "Mark one of the member's notifications read",
            "tags": [
              "notifications"
            ],
            "security": [
              {
                "memberToken": []
              }
            ],
            "parameters": [
              {
                "name": "id",
                "in": "path",
                "required": true,
                "schema": {
                  "type": "integer"
                }
              }
            ],
            "responses": {
              "200": {
                "description": "Marked",
                "content": {
                  "application/json": {
                    "schema": {
                      "type": "object",
                      "properties": {
                        "marked": {
                          "type": "integer"
                        }
                      }
                    }
                  }
                }
              },
              "401": {
                "$ref": "#/components/responses/Error"
              },
              "404": {
                "$ref": "#/components/responses/Error"
              }
            }
          }
        },
        "/v1/notifications/read-all": {
          "post": {
            "summary": "Mark all the member's notifications read",
            "tags": [
              "notifications"
            ],
            "security": [
              {
                "memberToken": []
              }
            ],
            "responses": {
              "200": {
                "description": "Marked",
                "content": {
                  "application/json": {
                    "schema": {
                      "type": "object",
                      "properties": {
                        "marked": {
                          "type": "integer"
                        }
                      }
                    }
                  }
                }
              },
              "401": {
                "$ref": "#/components/responses/Error"
              }
            }
          }
        },
        "/v1/webhooks/deliveries": {
          "get": {
            "summary": "List outbound webhook deliveries, newest first (manage only)",
            "description": "The outbox: one delivery per (event, subscription). `failed` lists the dead letters (after max_attempts, on 410 Gone, or when the subscription is no longer configured).",
            "tags": [
              "webhooks"
            ],
            "parameters": [
              {
                "name": "status",
                "in": "query",
                "schema": {
                  "enum": [
                    "pending",
                    "delivered",
                    "failed"
                  ]
                }
              },
              {
                "name": "subscription",
                "in": "query",
                "schema": {
                  "type": "string"
                },
                "description": "The subscription's name"
              },
              {
                "name": "conversation",
                "in": "query",
                "schema": {
                  "type": "string"
                }
              },
              {
                "name": "limit",
                "in": "query",
                "schema": {
                  "type": "integer",
                  "minimum": 1,
                  "maximum": 500,
                  "default": 50
                }
              },
              {
                "name": "cursor",
                "in": "query",
                "schema": {
                  "type": "string"
                },
                "description": "nextCursor of the previous page"
              }
            ],
            "responses": {
              "200": {
                "description": "A page of deliveries",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/WebhookDeliveryPage"
                    }
                  }
                }
              },
              "400": {
                "$ref": "#/components/responses/Error"
              },
              "401": {
                "$ref": "#/components/responses/Error"
              },
              "403": {
                "$ref": "#/components/responses/Error"
              }
            },
            "security": [
              {
                "memberToken": []
              }
            ]
          }
        },
        "/v1/webhooks/deliveries/{id}/replay": {
          "post": {
            "summary": "Send a failed delivery again (manage only)",
            "description": "The dead letter goes back to pending with its attempts reset; it keeps its id, which is its Idempotency-Key.",
            "tags": [
              "webhooks"
            ],
            "parameters": [
              {
                "name": "id",
                "in": "path",
                "required": true,
                "schema": {
                  "type": "string"
                }
              }
            ],
            "responses": {
              "200": {
                "description": "Pending again",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/WebhookDelivery"
                    }
                  }
                }
              },
              "401": {
                "$ref": "#/components/responses/Error"
              },
              "403": {
                "$ref": "#/components/responses/Error"
              },
              "404": {
                "$ref": "#/components/responses/Error"
              },
              "409": {
                "$ref": "#/components/responses/Error"
              }
            },
            "security": [
              {
                "memberToken": []
              }
            ]
          }
        }
      },
      "components": {
        "securitySchemes": {
          "memberToken": {
            "type": "http",
            "scheme": "bearer",
            "description": "Created by `etiquette member add EMAIL`"
          },
          "integrationKey": {
            "type": "http",
            "scheme": "bearer",
            "description": "One of ETIQUETTE_INTEGRATION_KEYS"
          }
        },
        "responses": {
          "Error": {
            "description": "An error",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        },
        "schemas": {
          "Error": {
            "type": "object",
            "required": [
              "error"
            ],
            "properties": {
              "error": {
                "type": "object",
                "required": [
                  "code",
                  "message"
                ],
                "properties": {
                  "code": {
                    "type": "string"
                  },
                  "message": {
                    "type": "string"
                  }
                }
              }
            }
          },
          "ConversationPage": {
            "type": "object",
            "required": [
              "conversations"
            ],
            "properties": {
              "conversations": {
                "type": "array",
                "items": {
                  "$ref": "#/components/schemas/ConversationSummary"
                }
              },
              "nextCursor": {
                "type": "string"
              }
            }
          },
          "ConversationSummary": {
            "type": "object",
            "required": [
              "id",
              "contact",
              "labels",
              "mode",
              "priority",
              "unread"
            ],
            "properties": {
              "id": {
                "type": "string"
              },
              "contact": {
                "type": "object"
              },
              "labels": {
                "type": "array",
                "items": {
                  "type": "string"
                }
              },
              "mode": {
                "type": "string",
                "enum": [
                  "ai",
                  "human"
                ]
              },
              "assignee": {
                "type": "string"
              },
              "presence": {
                "type": "string"
              },
              "team": {
                "type": "string"
              },
              "priority": {
                "type": "string",
                "enum": [
                  "low",
                  "normal",
                  "high",
                  "urgent"
                ]
              },
              "unread": {
                "type": "boolean"
              },
              "unreadCount": {
                "type": "integer"
              },
              "updatedAt": {
                "type": "string"
              }
            }
          },
          "WebhookDelivery": {
            "type": "object",
            "required": [
              "id",
              "subscription",
              "event",
              "eventId",
              "conversation",
              "status",
              "attempts",
              "createdAt",
              "updatedAt"
            ],
            "properties": {
              "id": {
                "type": "string",
                "description": "The delivery id, sent as Idempotency-Key"
              },
              "subscription": {
                "type": "string"
              },
              "event": {
                "type": "string",
                "description": "The event type, e.g. message.received"
              },
              "eventId": {
                "type": "string"
              },
              "conversation": {
                "type": "string"
              },
              "status": {
                "enum": [
                  "pending",
                  "delivered",
                  "failed"
                ]
              },
              "attempts": {
                "type": "integer",
                "minimum": 0
              },
              "lastStatus": {
                "type": "integer",
                "description": "The receiver's last HTTP status"
              },
              "lastError": {
                "type": "string"
              },
              "createdAt": {
                "type": "string",
                "format": "date-time"
              },
              "updatedAt": {
                "type": "string",
                "format": "date-time"
              },
              "nextAttemptAt": {
                "type": "string",
                "format": "date-time"
              },
              "deliveredAt": {
                "type": "string",
                "format": "date-time"
              }
            }
          },
          "WebhookDeliveryPage": {
            "type": "object",
            "required": [
              "deliveries"
            ],
            "properties": {
              "deliveries": {
                "type": "array",
                "items": {
                  "$ref": "#/components/schemas/WebhookDelivery"
                }
              },
              "nextCursor": {
                "type": "string"
              }
            }
          }
        }
      }
    }
    """#
}
