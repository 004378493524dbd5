import { runServiceMain } from '@chat4all/common';
import { messagesService } from './server';

runServiceMain(messagesService());
